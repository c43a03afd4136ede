# EDMDBN on SAMM, 5 classes (happiness, surprise, anger, contempt, other;
# 136 samples), LOSO, class-weighted CE w_i = M / (K M_i) resolved per fold
# from the training subjects (paper Sec. 4.3; Table 2: Acc 81.58, UF1 0.7573
# with per-fold test-subject checkpoint selection, see --oracle). OpenFace
# alignment + the paper's face crop. Deviations: docs/methods/edmdbn.md.
_base_ = ['../_base_/models/edmdbn.py', '../_base_/datasets/samm_5class.py',
          '../_base_/schedules/edmdbn_adamw_60e.py']

model = dict(head=dict(num_classes=5, loss=dict(class_weight='auto')))

train_dataloader = _base_.edmdbn_loaders.aligned.train
test_dataloader = _base_.edmdbn_loaders.aligned.test
