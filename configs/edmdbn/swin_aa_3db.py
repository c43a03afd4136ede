# EDMDBN on the MEGC2019 composite (SMIC-HS + CASME II + SAMM, 3 classes,
# 68-subject LOSO, pooled UF1/UAR with per-dataset breakdown; paper Table 3).
# One preprocessing pipeline serves the three datasets, so all are aligned to
# the OpenFace template and cut with the paper's face crop (for CASME II's
# provided crops this is a mild re-alignment; a failed detection on a tight
# crop falls back to a centred mean shape and is logged). No class weights
# (paper: SAMM alone only). Deviations: docs/methods/edmdbn.md.
_base_ = ['../_base_/models/edmdbn.py', '../_base_/datasets/composite_3db.py',
          '../_base_/schedules/edmdbn_adamw_60e.py']

train_dataloader = _base_.edmdbn_loaders.aligned.train
test_dataloader = _base_.edmdbn_loaders.aligned.test
