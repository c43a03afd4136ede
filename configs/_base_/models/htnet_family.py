# What HTNet ("HTNet for micro-expression recognition", Wang et al.) and
# mmmer's AHMSA-Net reconstruction share (docs/methods/htnet.md,
# docs/methods/ahmsa.md): a hierarchical transformer on 28x28x3 flow/strain
# region tiles in 0..255 (no normalisation: HTNet's official code feeds raw
# uint8 values as float), patch 7, dim 256, 3 heads, 3 hierarchies, FFN x4,
# and a linear head on the 1024-d feature for 3 classes. ./htnet.py and
# ./ahmsa.py inherit this and add the backbone type and what differs.
model = dict(
    type='MEClassifier',
    data_preprocessor=dict(type='MEDataPreprocessor', mean=None, std=None),
    backbone=dict(
        image_size=28,
        patch_size=7,
        in_channels=3,
        dim=256,
        heads=3,
        num_hierarchies=3,
        ffn_mult=4),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=1024,
              loss=dict(type='CrossEntropyLoss')))

# Shape of one input sample (C, H, W), read by tools/analysis/get_flops.py and benchmark.py.
input_shape = (3, 28, 28)
