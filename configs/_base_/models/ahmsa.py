# AHMSA-Net as reconstructed in mmmer (docs/methods/ahmsa.md): the HTNet
# skeleton of ./htnet_family.py (0..255 inputs, patch 7, dim 256, 3
# hierarchies) with blocks (2, 2, 8), channel attention (CBAM, r=16,
# bias-free MLP) + spatial attention over all patches of a level + conv FFN,
# adaptive max-pool downsampling. 115,579,395 parameters.
# The AHMSA-Net paper's Table 3 has a row whose label is lost with the value
# "3"; mmmer reads it as the head count, HTNet's value (heads=3 of the base).
_base_ = './htnet_family.py'

model = dict(
    backbone=dict(
        type='AHMSANet',
        block_repeats=(2, 2, 8),
        attention=dict(type='SoftmaxAttention'),
        attention_scope='level',
        ca_reduction=16,
        ca_bias=False,
        pos_embed=False))
