# EDMDBN on MMEW, 3 classes (negative / positive / surprise, 'others'
# excluded), LOSO. MMEW provides face crops, which are only resized (paper
# Sec. 4.3). The paper's MMEW 5-class set (with fear) has no counterpart in
# the official code (spec edmdbn.md section 5.8), so no 5-class config.
_base_ = [
    '../_base_/models/edmdbn.py',
    '../_base_/datasets/mmew.py',
    '../_base_/schedules/edmdbn_adamw_60e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(preprocess=dict(pipeline={{_base_.edmdbn_preprocess_cropped}}),
                 pipeline={{_base_.edmdbn_train_pipeline}}))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(preprocess=dict(pipeline={{_base_.edmdbn_preprocess_cropped}}),
                 pipeline={{_base_.edmdbn_test_pipeline}}))
