# SMIC-HS-E: the HS recordings of the extended SMIC-E release with their
# interval sheet, the SMIC set the code of the EDMDBN authors (Ma et al.,
# Pattern Recognition Letters 2025) trains on. One sample per annotated
# interval (up to three per sheet row), apex = (onset + offset) // 2 (the
# sheet has none), labels negative/positive/surprise from `Emotion`.
# Everything else (flow input, loaders) is the SMIC-HS base; only the dataset
# changes. The sample count is not pinned here (expected_counts = None): the
# set is commonly cited as 157 micro-expressions, a number not checked
# against the sheet.
# Layout and sheet variants: docs/datasets.md ("SMIC-HS-E"); check a copy
# with tools/analysis/check_dataset.py.
_base_ = './smic.py'

data_root = 'data/smic_e'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

train_dataloader = dict(dataset=dict(
    variant='hs_e',
    data_root=data_root,
    frames_dir='HS_long/SMIC-HS-E',
    ann_file='HS_long/SMIC-HS-E_annotation_2019.xlsx',
    preprocess=preprocess))
test_dataloader = dict(dataset=train_dataloader['dataset'])

expected_counts = None
