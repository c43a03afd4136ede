# HTNet as its official code builds it (docs/methods/htnet.md): 28x28x3
# flow maps in 0..255 (no normalisation: the official code feeds raw uint8
# values as float), patch 7, dim 256, heads 3, 3 hierarchies, blocks
# (2, 2, 10) as in main_HTNet.py; 3 classes. 139,582,982 parameters.
# Every size argument is configurable (the *_synthetic configs shrink it).
model = dict(
    type='MEClassifier',
    data_preprocessor=dict(type='MEDataPreprocessor', mean=None, std=None),
    backbone=dict(
        type='HTNet',
        image_size=28,
        patch_size=7,
        in_channels=3,
        dim=256,
        heads=3,
        num_hierarchies=3,
        block_repeats=(2, 2, 10),
        ffn_mult=4,
        # One-token windows: the fast path skips Q/K (identical outputs).
        attention=dict(type='SoftmaxAttention', fast_single_token=True),
        lape=False,
        drop_attention=()),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=1024,
              loss=dict(type='CrossEntropyLoss')))

# Shape of one input sample (C, H, W), read by tools/analysis/get_flops.py and benchmark.py.
input_shape = (3, 28, 28)
