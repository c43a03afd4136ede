# CASME II, MEGC2019 3-class: 145 samples (negative 88, positive 32,
# surprise 25) from 24 subjects (specs/datasets.md sections 1, 7, 8).
# The 3-class map keeps 147 rows of CASME2-coding-20140508.xlsx; the row whose
# ApexFrame is "/" (sub04/EP12_01f) is dropped by bad_apex='drop' and
# sub24/EP02_07 by exclude_clips, as in the MEGC2019 sample list.
# Expected layout: docs/datasets.md. Check a copy with
#   python tools/analysis/check_dataset.py configs/_base_/datasets/casme2.py
dataset_type = 'CASME2Dataset'
data_root = 'data/casme2'

# HTNet input: onset->apex TV-L1 flow on the aligned 224x224 face, optical
# strain, each plane min-max scaled to 0..255, resized to 28x28, then the four
# facial-region crops tiled (specs/flow_models.md 1.1). Run once, cached.
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
        ann_file='CASME2-coding-20140508.xlsx',
        frames_dir='Cropped',
        label_set='3class',
        bad_apex='drop',
        exclude_clips=[('sub24', 'EP02_07')],
        preprocess=preprocess,
        pipeline=train_pipeline))
# The LOSO loop fills subjects= / exclude_subjects= per fold.
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='CASME2-coding-20140508.xlsx',
        frames_dir='Cropped',
        label_set='3class',
        bad_apex='drop',
        exclude_clips=[('sub24', 'EP02_07')],
        preprocess=preprocess,
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = dict(type='MEMetric')

# Read by tools/analysis/check_dataset.py.
expected_counts = dict(
    total=145,
    per_class=dict(negative=88, positive=32, surprise=25),
    num_subjects=24)
