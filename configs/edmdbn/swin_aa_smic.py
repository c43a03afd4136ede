# EDMDBN on SMIC-HS, 3 classes (164 clips), LOSO (16 subjects). SMIC has no
# apex annotation: the middle frame is used (paper Sec. 3.1). Raw frames, so
# OpenFace-template alignment + the paper's face crop (Sec. 4.3). No class
# weights. The paper names SMIC-HS (164 samples); the authors' code trains
# its SMIC runs on SMIC-HS-E (the long recordings with a 2019 interval
# sheet, up to three intervals per row), which is swin_aa_smic-hs-e.py:
# this config is the paper's SMIC-HS. Deviations: docs/methods/edmdbn.md.
_base_ = ['../_base_/models/edmdbn.py', '../_base_/datasets/smic.py',
          '../_base_/schedules/edmdbn_adamw_60e.py']

train_dataloader = _base_.edmdbn_loaders.aligned.train
test_dataloader = _base_.edmdbn_loaders.aligned.test
