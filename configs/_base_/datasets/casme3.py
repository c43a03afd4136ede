# CAS(ME)^3 part A micro-expressions, 3-class: 699 samples (negative 457,
# positive 55, surprise 187) from 88 subjects; 'others' is excluded
# (docs/datasets.md, "CAS(ME)^3 part A"). Repeated (Subject, Filename) rows are separate
# samples; the known bad rows are repaired by rule and logged.
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
_base_ = './me_sheet_loaders.py'

dataset_type = 'CASME3Dataset'
data_root = 'data/casme3'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 ann_file='cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx', sheet_name='label',
                 layout='raw')
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader

expected_counts = dict(total=699, num_subjects=88,
                       per_class=dict(negative=457, positive=55, surprise=187))
