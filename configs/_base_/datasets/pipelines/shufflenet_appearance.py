# Stage-2 input of "Micro-expression recognition model based on TV-L1 optical
# flow method and improved ShuffleNet" (Liu et al., Scientific Reports 2022),
# "Pre-processing" (Fig. 2): the apex frame in gray, face cropped to 224x224
# and rotated so the eye line is horizontal, eyes masked, repeated to 3
# channels in [0, 1]. Method notes and deviations: docs/methods/shufflenet.md.
#
# Paper silent -> chosen here: landmarks of the onset frame align both key
# frames; the mask = both eye polygons dilated by 5 px. Batch 30 = 10 per
# class (ClassBalancedSampler).
#
# The loaders (batch, sampler, flip expansion of positive and surprise in the
# training split) are those of the stage-1 input, ./shufflenet_flow.py; this
# file replaces its preprocessing and pipelines (ExpansionFlip mirrors the
# image of an expanded copy). A dataset base <name>_shufflenet_appearance.py
# merges the loaders into its dataset's.
_base_ = './shufflenet_flow.py'

shufflenet_preprocess = dict(
    pipeline=[
        dict(type='LoadKeyFrames', keys=('onset', 'apex')),
        dict(type='DetectFaceLandmarks', frame_index=0, on_failure='center_fallback'),
        dict(type='AlignCropFace', size=224),
        dict(type='GrayToThreeChannels', src='apex', scale=1.0 / 255),
        dict(type='MaskRegions', keys=('img', ), regions=('left_eye', 'right_eye'),
             dilate=5),
    ],
    keys=('img', ))
shufflenet_train_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='ExpansionFlip', keys=('img', ), flow_keys=()),
    dict(type='PackMEInputs'),
]
shufflenet_test_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='PackMEInputs'),
]

shufflenet_train_dataloader = dict(
    dataset=dict(pipeline=shufflenet_train_pipeline, preprocess=shufflenet_preprocess))
shufflenet_test_dataloader = dict(
    dataset=dict(pipeline=shufflenet_test_pipeline, preprocess=shufflenet_preprocess))
