# What both stages of paper D (Liu et al., Sci. Rep. 2022) share, read by
# ./shufflenet_flowpretrain.py and ./shufflenet_svm.py: Adam with initial lr
# 0.001; paper silent -> chosen here: betas (0.9, 0.999), 50 epochs, batch 30
# (10 per class with ClassBalancedSampler).
#
# Data wiring: a stage base adds `shufflenet_train_dataset` (its pipelines,
# merged into the dataset base's training split) and
# `shufflenet_test_dataloader`; a leaf (configs/shufflenet/*.py) wraps the
# re-plumbed training split into `shufflenet_train_dataloader` below.
_base_ = ['../default_runtime.py']

shufflenet_train_dataloader = dict(
    batch_size=30,
    num_workers=2,
    sampler=dict(_delete_=True, type='ClassBalancedSampler',
                 samples_per_class='max'),
    # flip expansion of positive / surprise: training split only
    dataset=dict(_delete_=True, type='FlipExpandedDataset',
                 expand_classes=('positive', 'surprise')))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999),
                                    weight_decay=0.0))
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
test_cfg = dict()
