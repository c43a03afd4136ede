# Stage 1 of paper D (Liu et al., Sci. Rep. 2022, "TV-L1 optical flow features
# and pre-training"): the network is pre-trained on TV-L1 flow images of the
# fold's training subjects with a softmax (cross-entropy) classifier, initial
# lr 0.001, the same number of samples per class, and "saving the weights when
# accuracy is high".
#
# Honest selection: "when accuracy is high" is read as the best epoch on a
# VALIDATION split carved from the fold's training subjects (subject-grouped,
# 20 %, seed 0: loso.val_subjects, handled by mmmer.engine.loso); the test
# subject never steers stage 1. The best-UAR checkpoint (best_UAR_epoch_N.pth,
# one per fold) is what stage 2 loads. UAR rather than accuracy because the
# validation split is class-imbalanced.
#
# Paper silent -> chosen here: 50 epochs, batch 30 (10 per class with
# ClassBalancedSampler), Adam betas (0.9, 0.999), no decay schedule.
#
# Flow input (spec proposal): onset -> apex TV-L1 on the aligned, unmasked
# 224x224 gray frames (OpenCV defaults), then the eye mask (MaskRegions), then
# (u, v, |flow|) min-max scaled per sample to [0, 1] (FlowToImage, masked
# pixels stay 0). Positive and surprise samples of the training split are
# mirrored copies too (FlipExpandedDataset + ExpansionFlip, u negated).
_base_ = ['./shufflenet_common.py']

# Modules this method adds (harmless if mmmer/__init__ files import them too).
custom_imports = dict(imports=['mmmer.datasets.samplers',
                               'mmmer.datasets.flip_expanded_dataset'],
                      allow_failed_imports=False)

shufflenet_flow_preprocess_pipeline = [
    dict(type='LoadKeyFrames', keys=('onset', 'apex')),
    dict(type='DetectFaceLandmarks', frame_index=0, on_failure='center_fallback'),
    dict(type='AlignCropFace', size=224),
    dict(type='TVL1Flow'),
    dict(type='MaskRegions', keys=('flow', ), regions=('left_eye', 'right_eye'),
         dilate=5),
]
shufflenet_flow_preprocess_keys = ('flow', 'region_mask')
shufflenet_flow_train_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='ExpansionFlip', keys=('region_mask', ), flow_keys=('flow', )),
    dict(type='FlowToImage', mode='uvm'),
    dict(type='PackMEInputs'),
]
shufflenet_flow_test_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='FlowToImage', mode='uvm'),
    dict(type='PackMEInputs'),
]

shufflenet_train_dataset = dict(
    pipeline=shufflenet_flow_train_pipeline,
    preprocess=dict(pipeline=shufflenet_flow_preprocess_pipeline,
                    keys=shufflenet_flow_preprocess_keys))
shufflenet_test_dataloader = dict(
    batch_size=30,
    num_workers=2,
    dataset=dict(
        pipeline=shufflenet_flow_test_pipeline,
        preprocess=dict(pipeline=shufflenet_flow_preprocess_pipeline,
                        keys=shufflenet_flow_preprocess_keys)))
# Pre-training classifier (a leaf sets model = dict(head=...) with it): the
# softmax head the paper uses for pre-training (LinearClsHead, dropout 0.5,
# cross-entropy; the L2 term of the SVM head is not applied here: the paper
# states it for its experiments with the SVM classifier).
shufflenet_pretrain_head = dict(
    _delete_=True, type='LinearClsHead', num_classes=3, in_channels=1024,
    dropout=0.5, loss=dict(type='CrossEntropyLoss'))

param_scheduler = []
val_cfg = dict()
val_evaluator = dict(type='MEMetric')

default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=1,
                    save_last=True, save_best='UAR', rule='greater'))
loso = dict(val_subjects=dict(fraction=0.2, seed=0))
