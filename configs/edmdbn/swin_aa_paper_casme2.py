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

# The model base's online pipelines with the key frames interpolated at
# their frame times (EntireDetailMotion mode='time'); every other step as in
# the base.
_train_pipeline = [dict(step, mode='time') if step.type == 'EntireDetailMotion' else step
                   for step in _base_.edmdbn_train_pipeline]
_test_pipeline = [dict(step, mode='time') if step.type == 'EntireDetailMotion' else step
                  for step in _base_.edmdbn_test_pipeline]
train_dataloader = dict(dataset=dict(pipeline=_train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=_test_pipeline))
