# shufflenetv2_vit_flowpretrain_synthetic.py on the hard synthetic preset
# (../_base_/datasets/synthetic_hard.py): stage 1 of the ViT twin. The same
# network, preprocessing, schedule and budget as the easy twin, only the data
# differ (16 subjects, 0.2-1 px motion, identity / head / blink
# distractors, shared action units, 3DB-like class imbalance). Its measured
# numbers are in README.md and metafile.yml of this folder.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_flowpretrain_synthetic-hard.py
_base_ = ['./shufflenetv2_vit_flowpretrain_synthetic.py',
          '../_base_/datasets/synthetic_hard_settings.py']

data_root = _base_.hard_data_root
train_dataloader = dict(dataset=_base_.hard_dataset)
test_dataloader = dict(dataset=_base_.hard_dataset)
expected_counts = _base_.hard_expected_counts
