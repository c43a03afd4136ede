# MEGC2019 composite database (3DB / CDE): SMIC-HS + CASME II + SAMM under
# the 3-class map, 442 samples (negative 250, positive 109, surprise 83) from
# 68 subjects (16 + 24 + 28), as in HTNet's combined_3_class2_for_optical_flow
# .csv and MEB's notebooks (docs/datasets.md, "MEGC2019 composite 3DB";
# docs/protocol.md, "Composite (MEGC2019) evaluation").
# Sample rule: every SMIC-HS clip; CASME II 20140508 rows in the 3-class map
# minus sub04/EP12_01f (ApexFrame "/") and sub24/EP02_07; SAMM rows in the
# 3-class map. Subjects are namespaced (smic_s1, casme2_sub01, samm_006); the
# LOSO loop runs over all 68 and pools the predictions (MEMetric reports the
# per-dataset breakdown from each sample's `dataset`).
# Layout: docs/datasets.md (data/smic, data/casme2, data/samm). Check with
#   python tools/analysis/check_dataset.py configs/_base_/datasets/composite_3db.py
_base_ = ['./me_flow_htnet.py', './megc2019_3db_counts.py']

dataset_type = 'CompositeDataset'
data_root = 'data'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

# Child data_roots are relative to the composite's data_root (one
# --cfg-options train_dataloader.dataset.data_root=... moves all three).
smic_dataset = dict(type='SMICDataset', data_root='smic', frames_dir='HS',
                    label_set='3class')
casme2_dataset = dict(type='CASME2Dataset', data_root='casme2',
                      ann_file='CASME2-coding-20140508.xlsx', frames_dir='Cropped',
                      label_set='3class', bad_apex='drop',
                      exclude_clips=[('sub24', 'EP02_07')])
samm_dataset = dict(type='SAMMDataset', data_root='samm',
                    ann_file='SAMM_Micro_FACS_Codes_v2.xlsx', frames_dir='SAMM',
                    label_set='3class', bad_apex='midpoint')

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 datasets=[smic_dataset, casme2_dataset, samm_dataset])
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader
