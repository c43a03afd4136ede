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
# Training split only: positive and surprise samples get a horizontally
# mirrored copy (the dataset's flip_expansion option + ExpansionFlip).
#
# A leaf lists this file after its dataset base and writes
#   train_dataloader = _base_.shufflenet_train_dataloader
#   test_dataloader = _base_.shufflenet_test_dataloader
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
    batch_size=30,
    num_workers=2,
    sampler=dict(_delete_=True, type='ClassBalancedSampler', samples_per_class='max'),
    dataset=dict(flip_expansion=dict(classes=('positive', 'surprise')),
                 pipeline=shufflenet_train_pipeline,
                 preprocess=shufflenet_preprocess))
shufflenet_test_dataloader = dict(
    batch_size=30,
    num_workers=2,
    dataset=dict(pipeline=shufflenet_test_pipeline, preprocess=shufflenet_preprocess))
