# Stage 2 of paper D (Liu et al., Sci. Rep. 2022): load the stage-1 weights of
# the same fold, train on the preprocessed apex frames (gray, aligned, eye
# mask, 3 channels, 224x224) with the SVM head (hinge loss + L2 0.2, dropout
# 0.5), Adam with initial lr 0.001 ("10e-3" in the text is read as 1e-3, the
# value of the pre-training paragraph), lr "dynamically adjusted by accuracy
# and loss".
#
# Honest schedule: the lr follows the plateau of the epoch-mean TRAINING
# classification (hinge) loss `loss_cls`, not the total with the L2 term
# (TrainLossPlateauLR; factor 0.1 and patience 5 chosen here, Keras'
# ReduceLROnPlateau uses factor 0.1 / patience 10 by default over longer
# runs). No validation loop: the model after the last epoch is evaluated
# (loso.selection='last').
#
# Paper silent -> chosen here: 50 epochs, batch 30 (10 per class).
_base_ = ['./shufflenet_common.py']

# Modules this method adds (harmless if mmmer/__init__ files import them too).
custom_imports = dict(imports=['mmmer.engine.schedulers', 'mmmer.datasets.samplers',
                               'mmmer.datasets.flip_expanded_dataset'],
                      allow_failed_imports=False)

shufflenet_appearance_preprocess_pipeline = [
    dict(type='LoadKeyFrames', keys=('onset', 'apex')),
    dict(type='DetectFaceLandmarks', frame_index=0, on_failure='center_fallback'),
    dict(type='AlignCropFace', size=224),
    dict(type='GrayToThreeChannels', src='apex', scale=1.0 / 255),
    dict(type='MaskRegions', keys=('img', ), regions=('left_eye', 'right_eye'),
         dilate=5),
]
shufflenet_appearance_preprocess_keys = ('img', )
shufflenet_appearance_train_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='ExpansionFlip', keys=('img', ), flow_keys=()),
    dict(type='PackMEInputs'),
]
shufflenet_appearance_test_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='PackMEInputs'),
]

shufflenet_train_dataset = dict(
    pipeline=shufflenet_appearance_train_pipeline,
    preprocess=dict(pipeline=shufflenet_appearance_preprocess_pipeline,
                    keys=shufflenet_appearance_preprocess_keys))
shufflenet_test_dataloader = dict(
    batch_size=30,
    num_workers=2,
    dataset=dict(
        pipeline=shufflenet_appearance_test_pipeline,
        preprocess=dict(pipeline=shufflenet_appearance_preprocess_pipeline,
                        keys=shufflenet_appearance_preprocess_keys)))

param_scheduler = [dict(type='TrainLossPlateauLR', monitor='loss_cls', rule='less',
                        factor=0.1, patience=5, min_value=1e-6)]
val_cfg = None
