# EDMDBN on SAMM, MEGC2019 3 classes (133 samples), LOSO. SAMM ships raw
# grayscale frames, so the key frames are aligned to the OpenFace template
# from dlib landmarks of the onset frame and cut with the paper's face crop
# (Sec. 3.1, 4.3; chin, brows and eyes). Class-weighted cross-entropy
# w_i = M / (K M_i) (paper Eq. 3, Sec. 4.3: SAMM only); 'auto' is resolved by
# the LOSO loop from each fold's training subjects. Network, input and
# schedule as in swin_aa_casme2.py. The two rows with an apex outside
# [onset, offset] (028_4_1, 032_3_1) get the middle frame, as in the authors'
# code. Deviations: docs/methods/edmdbn.md.
_base_ = ['../_base_/models/edmdbn.py', '../_base_/datasets/samm.py',
          '../_base_/schedules/edmdbn_adamw_60e.py']

model = dict(head=dict(loss=dict(class_weight='auto')))

train_dataloader = _base_.edmdbn_loaders.aligned.train
test_dataloader = _base_.edmdbn_loaders.aligned.test
