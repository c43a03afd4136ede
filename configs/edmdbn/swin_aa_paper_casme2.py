# The paper variant of EDMDBN on CASME II, 3 classes: "Entire-detail motion
# dual-branch network for micro-expression recognition" (Ma et al., 2025),
# Sec. 3.1-3.3 read literally where the authors' code differs
# (docs/methods/edmdbn.md):
# - the entire-motion branch is a true 2D Swin (4x4 patches, 7x7 windows)
#   instead of the video Swin on a zero-padded frame (43,781,269 params);
# - the key frames are interpolated at their real frame times (onset, apex,
#   offset numbers), so the detail motion follows the clip's timing and has
#   no identically-zero first/last difference;
# - plain cross-entropy (the paper mentions no label smoothing).
_base_ = ['./swin_aa_casme2.py']

model = dict(
    backbone=dict(variant='paper'),
    head=dict(loss=dict(label_smoothing=0.0)))

_train_pipeline = [
    dict(type='LoadCachedArrays', keys=('img', )),
    dict(type='ClipRandomFlip', prob=0.5),
    dict(type='ClipRandomRotation', max_angle=4.0, interpolation='nearest'),
    dict(type='ClipRandomCrop', size=224, padding=4, padding_mode='edge'),
    dict(type='EntireDetailMotion', num_frames=8, mode='time'),
    dict(type='PackMEInputs'),
]
_test_pipeline = [
    dict(type='LoadCachedArrays', keys=('img', )),
    dict(type='EntireDetailMotion', num_frames=8, mode='time'),
    dict(type='PackMEInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=_train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=_test_pipeline))
