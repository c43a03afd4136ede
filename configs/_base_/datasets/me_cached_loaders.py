# Loader templates shared by the micro-expression dataset bases whose model
# input is computed once per sample by `preprocess` (mmmer.datasets.preprocessing) and
# read back from the cache: LOSO over subjects, batch 256, MEMetric.
# A dataset base inherits this, then states its dataset dict (type, data_root,
# annotation and quirk arguments, `preprocess`) in both loaders. The LOSO loop
# fills subjects= / exclude_subjects= per fold.
train_pipeline = [dict(type='LoadCachedArrays'), dict(type='PackMEInputs')]
test_pipeline = [dict(type='LoadCachedArrays'), dict(type='PackMEInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(type='MEMetric')
