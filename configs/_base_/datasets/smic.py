# SMIC-HS, MEGC2019 3-class: 164 clips (negative 70, positive 51, surprise
# 43) from 16 subjects (docs/datasets.md). Labels come from the
# micro/{negative,positive,surprise} folders; apex = onset + (offset-onset)//2.
# Not SMIC-HS-E: the EDMDBN authors' code trains its SMIC runs on the long
# HS-E recordings with their interval sheet, which SMICDataset does not read
# (docs/methods/edmdbn.md "Sample sets").
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
_base_ = './me_flow_htnet.py'

dataset_type = 'SMICDataset'
data_root = 'data/smic'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

train_dataloader = dict(dataset=dict(
    type=dataset_type,
    data_root=data_root,
    frames_dir='HS',
    label_set='3class',
    preprocess=preprocess))
test_dataloader = dict(dataset=train_dataloader['dataset'])

expected_counts = dict(
    total=164,
    per_class=dict(negative=70, positive=51, surprise=43),
    num_subjects=16)
