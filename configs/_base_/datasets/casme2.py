# CASME II, MEGC2019 3-class: 145 samples (negative 88, positive 32,
# surprise 25) from 24 subjects (docs/datasets.md).
# The 3-class map keeps 147 rows of CASME2-coding-20140508.xlsx; the row whose
# ApexFrame is "/" (sub04/EP12_01f) is dropped by bad_apex='drop' and
# sub24/EP02_07 by exclude_clips, as in the MEGC2019 sample list.
# Other sample sets, as options of CASME2Dataset: bad_apex='midpoint' keeps the
# "/" row with the middle frame (onset + offset) // 2 as apex, and
# exclude_clips=[] keeps sub24/EP02_07 (147 samples; the EDMDBN authors' code
# does both and reads the 20190701 sheet: configs/edmdbn/
# swin_aa_casme2_official_set.py, docs/methods/edmdbn.md "Sample sets").
# Expected layout: docs/datasets.md. Check a copy with
#   python tools/analysis/check_dataset.py configs/_base_/datasets/casme2.py
_base_ = './me_sheet_loaders.py'

dataset_type = 'CASME2Dataset'
data_root = 'data/casme2'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 ann_file='CASME2-coding-20140508.xlsx', frames_dir='Cropped', bad_apex='drop',
                 exclude_clips=[('sub24', 'EP02_07')])
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader

# Read by tools/analysis/check_dataset.py.
expected_counts = dict(total=145, num_subjects=24,
                       per_class=dict(negative=88, positive=32, surprise=25))
