# SAMM micro-expressions, MEGC2019 3-class: 133 samples (negative 92,
# positive 26, surprise 15) from 28 subjects (docs/datasets.md).
# bad_apex='midpoint': the rows with an apex outside [onset, offset]
# (028_4_1, 032_3_1) use the middle frame, as the EDMDBN authors' code does.
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
_base_ = './me_sheet_loaders.py'

dataset_type = 'SAMMDataset'
data_root = 'data/samm'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 ann_file='SAMM_Micro_FACS_Codes_v2.xlsx', frames_dir='SAMM')
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader

expected_counts = dict(total=133, num_subjects=28,
                       per_class=dict(negative=92, positive=26, surprise=15))
