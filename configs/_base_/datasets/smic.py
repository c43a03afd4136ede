# SMIC-HS, MEGC2019 3-class: 164 clips (negative 70, positive 51, surprise
# 43) from 16 subjects (specs/datasets.md sections 3, 8). Labels come from the
# micro/{negative,positive,surprise} folders; apex = onset + (offset-onset)//2.
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
dataset_type = 'SMICDataset'
data_root = 'data/smic'

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
        frames_dir='HS',
        label_set='3class',
        preprocess=preprocess,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        frames_dir='HS',
        label_set='3class',
        preprocess=preprocess,
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(type='MEMetric')

expected_counts = dict(
    total=164,
    per_class=dict(negative=70, positive=51, surprise=43),
    num_subjects=16)
