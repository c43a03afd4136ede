# swin_aa_synthetic.py on the hard synthetic preset (../_base_/datasets/synthetic_hard.py):
# the same network, preprocessing, schedule and budget as the easy twin, only
# the data differ (16 subjects, 0.2-1 px motion, identity / head / blink
# distractors, shared action units, 3DB-like class imbalance). Its measured
# numbers are in README.md and metafile.yml of this folder; the method and
# every deviation from the paper: docs/methods/edmdbn.md.
#
#   python tools/train.py configs/edmdbn/swin_aa_synthetic-hard.py
_base_ = ['./swin_aa_synthetic.py', '../_base_/datasets/synthetic_hard_settings.py']

data_root = _base_.hard_data_root
train_dataloader = dict(dataset=_base_.hard_dataset)
test_dataloader = dict(dataset=_base_.hard_dataset)
expected_counts = _base_.hard_expected_counts
# One sample at this twin's 112 px crops (read by tools/analysis/get_flops.py,
# benchmark.py and collect_results.py): entire motion + 8 detail slices.
input_shape = (3, 9, 112, 112)
