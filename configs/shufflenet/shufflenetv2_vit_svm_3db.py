# Paper D stage 2 (fine-tuning with the SVM classifier) of ShuffleNetV2 + improved lightweight ViT (the paper's best model),
# LOSO on the MEGC2019 composite (SMIC-HS + CASME II + SAMM). Paper Table 3 (ViT variant, UAR / UF1): not reported (the paper evaluates per dataset).
#
# Each fold starts from the stage-1 checkpoint of the SAME fold
# (work_dirs/shufflenetv2_vit_flowpretrain_3db/fold_<subject>/best_UAR_epoch_*.pth, selected on a
# validation split of that fold's training subjects); run shufflenetv2_vit_flowpretrain_3db.py first.
# Model: ../_base_/models/shufflenetv2_vit.py (SVM head: squared multi-class hinge, L2 0.2
# on every conv / linear kernel, dropout 0.5). The stage-1 softmax layer is not
# carried over (the SVM head's layer has another name), only the backbone and
# attention weights.
# Schedule: ../_base_/schedules/shufflenet_svm.py (Adam 1e-3, lr on the
# training-loss plateau, last epoch evaluated).
# Data: ../_base_/datasets/composite_3db.py with the appearance pipeline (gray apex,
# eye-line aligned 224x224, eye mask, 3 channels in [0, 1]); training split
# flip-expanded and class-balanced.
_base_ = [
    '../_base_/datasets/composite_3db.py',
    '../_base_/models/shufflenetv2_vit.py',
    '../_base_/schedules/shufflenet_svm.py',
]

loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_vit_flowpretrain_3db',
                           checkpoint='best_UAR_epoch_*.pth'))

# The dataset base's training split with this stage's pipelines (merged like
# an inherited config), wrapped as set in ../_base_/schedules/shufflenet_common.py.
_train = _base_.train_dataloader.dataset.copy()
_train.merge(_base_.shufflenet_train_dataset)
train_dataloader = dict(_base_.shufflenet_train_dataloader, dataset=dict(
    _base_.shufflenet_train_dataloader.dataset, dataset=_train))
del _train
test_dataloader = _base_.shufflenet_test_dataloader
