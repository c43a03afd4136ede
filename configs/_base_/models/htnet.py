# HTNet as its official code builds it (docs/methods/htnet.md): the network
# of ./htnet_family.py (28x28x3 flow maps in 0..255, patch 7, dim 256, heads
# 3, 3 hierarchies) with blocks (2, 2, 10) as in main_HTNet.py; 3 classes.
# 139,582,982 parameters. Every size argument is configurable (the
# *_synthetic configs shrink it).
_base_ = './htnet_family.py'

model = dict(
    backbone=dict(
        type='HTNet',
        block_repeats=(2, 2, 10),
        # One-token windows: the fast path skips Q/K (identical outputs).
        attention=dict(type='SoftmaxAttention', fast_single_token=True),
        lape=False,
        drop_attention=()))
