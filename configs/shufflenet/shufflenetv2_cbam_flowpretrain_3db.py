# Paper D stage 1 (pre-training on TV-L1 flow images) of ShuffleNetV2 + CBAM,
# LOSO on the MEGC2019 composite (SMIC-HS + CASME II + SAMM). Stage 2 is shufflenetv2_cbam_svm_3db.py, which loads this
# config's fold checkpoints from work_dirs/shufflenetv2_cbam_flowpretrain_3db/fold_<subject>/.
#
# Model: ../_base_/models/shufflenetv2_cbam.py with the SVM head replaced by the softmax
# classifier the paper uses for pre-training (LinearClsHead, dropout 0.5,
# cross-entropy; the L2 term of the SVM head is not applied here: the paper
# states it for its experiments with the SVM classifier).
# Schedule, input encoding and the validation-split model selection
# (loso.val_subjects = 20 % of the fold's TRAINING subjects; never the test
# subject): ../_base_/schedules/shufflenet_flowpretrain.py.
# Data: ../_base_/datasets/composite_3db.py with its preprocessing replaced by the flow
# pipeline (cached separately: the cache key hashes the pipeline); training
# split wrapped in FlipExpandedDataset, sampled by ClassBalancedSampler.
_base_ = [
    '../_base_/datasets/composite_3db.py',
    '../_base_/models/shufflenetv2_cbam.py',
    '../_base_/schedules/shufflenet_flowpretrain.py',
]

model = dict(
    head=dict(_delete_=True, type='LinearClsHead', num_classes=3, in_channels=1024,
              dropout=0.5, loss=dict(type='CrossEntropyLoss')))

_train = _base_.train_dataloader.dataset.copy()
_train.update(
    pipeline=_base_.shufflenet_flow_train_pipeline,
    preprocess=dict(_train.preprocess,
                    pipeline=_base_.shufflenet_flow_preprocess_pipeline,
                    keys=_base_.shufflenet_flow_preprocess_keys))
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
        pipeline=_base_.shufflenet_flow_test_pipeline,
        preprocess=dict(pipeline=_base_.shufflenet_flow_preprocess_pipeline,
                        keys=_base_.shufflenet_flow_preprocess_keys)))
