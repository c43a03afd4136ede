# The embedded synthetic dataset (mmmer.datasets.synthetic): rendered from
# skimage.data.astronaut() in the CASME II layout on first use, so the whole
# method (dlib alignment -> TV-L1 -> strain -> region tiles -> LOSO) runs on a
# fresh machine without licensed data. 8 subjects x 9 clips (3 per class).
# Everything else (HTNet flow preprocessing, loaders, metric) comes from the
# CASME II base, which reads the same layout.
_base_ = './casme2.py'

dataset_type = 'SyntheticMEDataset'
data_root = 'data/synthetic'
synthetic_generator = dict(num_subjects=8, clips_per_class=3, seed=0)
_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='annotation.xlsx',
    exclude_clips=[],
    generator=synthetic_generator,
    preprocess=dict(cache_dir=data_root + '/.mmmer_cache'))

train_dataloader = dict(batch_size=64, num_workers=0, dataset=_dataset)
test_dataloader = dict(batch_size=64, num_workers=0,
                       dataset=dict(_dataset, test_mode=True))

expected_counts = dict(
    total=72,
    per_class=dict(negative=24, positive=24, surprise=24),
    num_subjects=8)
