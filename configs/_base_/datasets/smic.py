# SMIC-HS, MEGC2019 3-class: 164 clips (negative 70, positive 51, surprise
# 43) from 16 subjects (docs/datasets.md). Labels come from the
# micro/{negative,positive,surprise} folders; apex = onset + (offset-onset)//2.
# Not SMIC-HS-E: the EDMDBN authors' code trains its SMIC runs on the long
# HS-E recordings with their interval sheet; that set is
# SMICDataset(variant='hs_e'), base ./smic_hs_e.py
# (docs/methods/edmdbn.md "Sample sets").
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
_base_ = './me_flow_htnet.py'

dataset_type = 'SMICDataset'
data_root = 'data/smic'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 frames_dir='HS', label_set='3class')
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader

expected_counts = dict(total=164, num_subjects=16,
                       per_class=dict(negative=70, positive=51, surprise=43))
