# EDMDBN on MMEW, 3 classes (negative / positive / surprise, 'others'
# excluded; 234 samples), LOSO: paper Table 5 (Acc 92.70, UF1 0.9216). MMEW
# provides face crops, which are only resized (paper Sec. 4.3). 5 classes:
# swin_aa_mmew_5cls.py. Deviations: docs/methods/edmdbn.md.
_base_ = ['../_base_/models/edmdbn.py', '../_base_/datasets/mmew.py',
          '../_base_/schedules/edmdbn_adamw_60e.py']

train_dataloader = _base_.edmdbn_loaders.cropped.train
test_dataloader = _base_.edmdbn_loaders.cropped.test
