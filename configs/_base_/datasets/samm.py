# SAMM micro-expressions, MEGC2019 3-class: 133 samples (negative 92,
# positive 26, surprise 15) from 28 subjects (specs/datasets.md sections 2, 7).
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
dataset_type = 'SAMMDataset'
data_root = 'data/samm'

htnet_flow_pipeline = [
    dict(type='LoadKeyFrames', keys=('onset', 'apex')),
    dict(type='DetectFaceLandmarks', frame_index=0, on_failure='center_fallback'),
    dict(type='AlignCropFace', size=224),
    dict(type='TVL1Flow'),
    dict(type='OpticalStrain'),
    dict(type='StackMotion', normalize='minmax255'),
    dict(type='ResizeMotion', size=28),
    dict(type='FacialRegionTiles'),
]
preprocess = dict(pipeline=htnet_flow_pipeline, keys=('img', ),
                  cache_dir=data_root + '/.mmmer_cache', workers=2)

train_pipeline = [dict(type='LoadCachedArrays'), dict(type='PackMEInputs')]
test_pipeline = [dict(type='LoadCachedArrays'), dict(type='PackMEInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='SAMM_Micro_FACS_Codes_v2.xlsx',
        frames_dir='SAMM',
        label_set='3class',
        bad_apex='midpoint',
        preprocess=preprocess,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='SAMM_Micro_FACS_Codes_v2.xlsx',
        frames_dir='SAMM',
        label_set='3class',
        bad_apex='midpoint',
        preprocess=preprocess,
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(type='MEMetric')

expected_counts = dict(
    total=133,
    per_class=dict(negative=92, positive=26, surprise=15),
    num_subjects=28)
