# AHMSA-Net as reconstructed in mmmer (docs/methods/ahmsa.md): HTNet
# skeleton, blocks (2, 2, 8), channel attention (CBAM, r=16, bias-free MLP) +
# spatial attention over all patches of a level + conv FFN, adaptive max-pool
# downsampling. 0..255 inputs as HTNet. 115,579,395 parameters.
model = dict(
    type='MEClassifier',
    data_preprocessor=dict(type='MEDataPreprocessor', mean=None, std=None),
    backbone=dict(
        type='AHMSANet',
        image_size=28,
        patch_size=7,
        in_channels=3,
        dim=256,
        # The AHMSA-Net paper's Table 3 has a row whose label is lost with the
        # value "3"; mmmer reads it as the head count, HTNet's value.
        heads=3,
        num_hierarchies=3,
        block_repeats=(2, 2, 8),
        ffn_mult=4,
        attention=dict(type='SoftmaxAttention'),
        attention_scope='level',
        ca_reduction=16,
        ca_bias=False,
        pos_embed=False),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=1024,
              loss=dict(type='CrossEntropyLoss')))

# Shape of one input sample (C, H, W), read by tools/analysis/get_flops.py and benchmark.py.
input_shape = (3, 28, 28)
