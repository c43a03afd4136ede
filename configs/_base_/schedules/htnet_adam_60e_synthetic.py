# The demo recipe of the HTNet-family synthetic twins (htnet_synthetic.py,
# ahmsa_synthetic.py and the configs built on them): the embedded synthetic
# dataset with the schedule of ./htnet_adam_800e.py at lr 5e-4 for 60 epochs
# and batch 32 instead of 5e-5 / 800 / 256, so a LOSO over the 8 synthetic
# subjects takes minutes on a 2-core CPU. Small models: a checkpoint every 10
# epochs. It inherits the dataset base because the batch size lives in its
# loaders (MMEngine forbids `train_dataloader` in two sibling bases): a twin
# lists its model base and this file, and shrinks the model.
_base_ = ['../datasets/synthetic.py', './htnet_adam_800e.py']

optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_epochs=60)
train_dataloader = dict(batch_size=32)
default_hooks = dict(checkpoint=dict(interval=10), logger=dict(interval=20))
