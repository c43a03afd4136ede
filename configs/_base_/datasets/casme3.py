# CAS(ME)^3 part A micro-expressions, 3-class: 699 samples (negative 457,
# positive 55, surprise 187) from 88 subjects; 'others' is excluded
# (specs/datasets.md section 4). Repeated (Subject, Filename) rows are separate
# samples; the known bad rows are repaired by rule and logged.
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
dataset_type = 'CASME3Dataset'
data_root = 'data/casme3'

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
        ann_file='cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx',
        sheet_name='label',
        layout='raw',
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
        ann_file='cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx',
        sheet_name='label',
        layout='raw',
        label_set='3class',
        bad_apex='midpoint',
        preprocess=preprocess,
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(type='MEMetric')

expected_counts = dict(
    total=699,
    per_class=dict(negative=457, positive=55, surprise=187),
    num_subjects=88)
