# MMEW micro-expressions, 3-class: 234 samples (negative 109, positive 36,
# surprise 89); 'others' is excluded (docs/datasets.md). label_set='5class'
# gives the EDMDBN paper's 5 classes (happiness, surprise, disgust, fear,
# others; configs/edmdbn/swin_aa_mmew_5cls.py).
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
_base_ = './me_sheet_loaders.py'

dataset_type = 'MMEWDataset'
data_root = 'data/mmew'
preprocess = dict(cache_dir=data_root + '/.mmmer_cache')

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 ann_file='MMEW_Micro_Exp.xlsx', frames_dir='Micro_Expression')
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader

expected_counts = dict(total=234, per_class=dict(negative=109, positive=36, surprise=89))
