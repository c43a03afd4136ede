# Paper D stage 2 (fine-tuning with the SVM classifier) of ShuffleNetV2 + improved lightweight ViT (the paper's best model),
# LOSO on SAMM. Paper Table 3 (ViT variant, UAR / UF1): 0.6781 / 0.7428.
#
# Each fold starts from the stage-1 checkpoint of the SAME fold
# (work_dirs/shufflenetv2_vit_flowpretrain_samm/fold_<subject>/best_UAR_epoch_*.pth, selected on a
# validation split of that fold's training subjects); run shufflenetv2_vit_flowpretrain_samm.py first.
# Model: ../_base_/models/shufflenetv2_vit.py (SVM head: squared multi-class hinge, L2 0.2
# on every conv / linear kernel, dropout 0.5). The stage-1 softmax layer is not
# carried over (the SVM head's layer has another name), only the backbone and
# attention weights.
# Schedule: ../_base_/schedules/shufflenet_svm.py (Adam 1e-3, lr on the
# training-loss plateau, last epoch evaluated).
# Data: ../_base_/datasets/samm.py with the appearance pipeline (gray apex,
# eye-line aligned 224x224, eye mask, 3 channels in [0, 1]); training split
# flip-expanded and class-balanced.
_base_ = [
    '../_base_/datasets/samm.py',
    '../_base_/models/shufflenetv2_vit.py',
    '../_base_/schedules/shufflenet_svm.py',
]

loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_vit_flowpretrain_samm',
                           checkpoint='best_UAR_epoch_*.pth'))

_train = _base_.train_dataloader.dataset.copy()
_train.update(
    pipeline=_base_.shufflenet_appearance_train_pipeline,
    preprocess=dict(_train.preprocess,
                    pipeline=_base_.shufflenet_appearance_preprocess_pipeline,
                    keys=_base_.shufflenet_appearance_preprocess_keys))
train_dataloader = dict(
    batch_size=30,
    num_workers=2,
    sampler=dict(_delete_=True, type='ClassBalancedSampler',
                 samples_per_class='max'),
    # flip expansion of positive / surprise: training split only
    dataset=dict(_delete_=True, type='FlipExpandedDataset', dataset=_train,
                 expand_classes=('positive', 'surprise')))
del _train
test_dataloader = dict(
    batch_size=30,
    num_workers=2,
    dataset=dict(
        pipeline=_base_.shufflenet_appearance_test_pipeline,
        preprocess=dict(pipeline=_base_.shufflenet_appearance_preprocess_pipeline,
                        keys=_base_.shufflenet_appearance_preprocess_keys)))
