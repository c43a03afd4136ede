# What both stages of "Micro-expression recognition model based on TV-L1
# optical flow method and improved ShuffleNet" (Liu et al., Scientific
# Reports 2022) share, read by ./shufflenet_flowpretrain.py and
# ./shufflenet_svm.py: Adam with initial lr 0.001 ("Experiment settings").
# Paper silent -> chosen here: betas (0.9, 0.999), 50 epochs.
# Loaders (batch, sampler, flip expansion) live with the input pipelines in
# ../datasets/pipelines/shufflenet_{flow,appearance}.py; docs/methods/shufflenet.md.
_base_ = ['../default_runtime.py']

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999),
                                    weight_decay=0.0))
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
test_cfg = dict()
