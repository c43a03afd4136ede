# shufflenetv2_vit_svm_synthetic.py on the hard synthetic preset
# (../_base_/datasets/synthetic_hard.py): stage 2 (SVM head), each fold
# initialised from the same fold of the hard stage 1. Same network,
# preprocessing, schedule and budget as the easy twin, only the data differ.
# Its measured numbers are in README.md and metafile.yml of this folder.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_flowpretrain_synthetic-hard.py
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_svm_synthetic-hard.py
_base_ = ['./shufflenetv2_vit_svm_synthetic.py',
          '../_base_/datasets/synthetic_hard_settings.py']

data_root = _base_.hard_data_root
train_dataloader = dict(dataset=_base_.hard_dataset)
test_dataloader = dict(dataset=_base_.hard_dataset)
expected_counts = _base_.hard_expected_counts
loso = dict(init_from=dict(
    work_dir='work_dirs/shufflenetv2_vit_flowpretrain_synthetic-hard'))
