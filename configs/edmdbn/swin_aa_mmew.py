# EDMDBN on MMEW, 3 classes (negative / positive / surprise, 'others'
# excluded; 234 samples), LOSO: paper Table 5 (Acc 92.70, UF1 0.9216). MMEW
# provides face crops, which are only resized (paper Sec. 4.3). 5 classes:
# swin_aa_mmew_5cls.py. Deviations: docs/methods/edmdbn.md.
_base_ = [
    '../_base_/models/edmdbn.py',
    '../_base_/datasets/mmew.py',
    '../_base_/schedules/edmdbn_adamw_60e.py',
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
