# EDMDBN on SMIC-HS, 3 classes, LOSO (16 subjects). SMIC has no apex
# annotation: the dataset uses the middle frame (paper Sec. 3.1). Raw frames,
# so OpenFace-template alignment + landmark crop (Sec. 4.3). No class weights.
_base_ = [
    '../_base_/models/edmdbn.py',
    '../_base_/datasets/smic.py',
    '../_base_/schedules/edmdbn_adamw_60e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(preprocess=dict(pipeline={{_base_.edmdbn_preprocess_aligned}}),
                 pipeline={{_base_.edmdbn_train_pipeline}}))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(preprocess=dict(pipeline={{_base_.edmdbn_preprocess_aligned}}),
                 pipeline={{_base_.edmdbn_test_pipeline}}))
