# EDMDBN ("Swin-T with AA", both branches, fusion by addition) on CASME II,
# MEGC2019 3 classes, LOSO. Network = the official variant (what the reference
# code runs; configs/_base_/models/edmdbn.py), input = onset/apex/offset key
# frames of the provided face crops resized to 224 (paper Sec. 4.3: CASME II
# is not re-aligned), official 3 -> 9 interpolation, paper schedule (AdamW
# 5e-5, 15 + 45 epochs, batch 4), no class weights (paper: SAMM only).
# Model selection is mmmer's honest default (last epoch), not the reference
# code's best-epoch-on-the-test-subject.
_base_ = [
    '../_base_/models/edmdbn.py',
    '../_base_/datasets/casme2.py',
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
