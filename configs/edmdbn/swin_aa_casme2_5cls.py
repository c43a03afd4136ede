# EDMDBN on CASME II, 5 classes (happiness, surprise, disgust, repression,
# others), LOSO: the setting of the paper's Table 2 (Acc 88.26, UF1 0.8591,
# with test-fold checkpoint selection). Head: 5 outputs (44,308,903 params).
_base_ = [
    '../_base_/models/edmdbn.py',
    '../_base_/datasets/casme2_5class.py',
    '../_base_/schedules/edmdbn_adamw_60e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=5))

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
