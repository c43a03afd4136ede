# Stage-1 input of "Micro-expression recognition model based on TV-L1 optical
# flow method and improved ShuffleNet" (Liu et al., Scientific Reports 2022),
# "TV-L1 optical flow features and pre-training": TV-L1 flow between onset
# and apex, fed to the network as an image. Method notes and deviations:
# docs/methods/shufflenet.md.
#
# Paper silent -> chosen here: TV-L1 on the aligned, unmasked 224x224 gray
# frames (OpenCV defaults), then the eye mask (MaskRegions, both eyes dilated
# by 5 px), then (u, v, |flow|) min-max scaled per sample to [0, 1]
# (FlowToImage; masked pixels stay 0). Batch 30 = 10 per class
# (ClassBalancedSampler: "the same number of samples from each category").
#
# Training split only: positive and surprise samples get a horizontally
# mirrored copy (the dataset's flip_expansion option; ExpansionFlip mirrors
# the copy and negates u). The test / validation splits are never expanded.
#
# A dataset base <name>_shufflenet_flow.py lists this file after its dataset
# base and writes
#   train_dataloader = _base_.shufflenet_train_dataloader
#   test_dataloader = _base_.shufflenet_test_dataloader
# which merge into the dataset base's loaders like any inherited dict.
# ./shufflenet_appearance.py (stage 2) keeps these loaders.
shufflenet_preprocess = dict(
    pipeline=[
        dict(type='LoadKeyFrames', keys=('onset', 'apex')),
        dict(type='DetectFaceLandmarks', frame_index=0, on_failure='center_fallback'),
        dict(type='AlignCropFace', size=224),
        dict(type='TVL1Flow'),
        dict(type='MaskRegions', keys=('flow', ), regions=('left_eye', 'right_eye'),
             dilate=5),
    ],
    keys=('flow', 'region_mask'))
shufflenet_train_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='ExpansionFlip', keys=('region_mask', ), flow_keys=('flow', )),
    dict(type='FlowToImage', mode='uvm'),
    dict(type='PackMEInputs'),
]
shufflenet_test_pipeline = [
    dict(type='LoadCachedArrays'),
    dict(type='FlowToImage', mode='uvm'),
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
