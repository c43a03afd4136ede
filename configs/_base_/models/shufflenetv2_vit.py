# ShuffleNetV2 1.0x + improved lightweight ViT + SVM (hinge) head:
# "ShuffleNetV2 with improved ViT", the proposed (best) model of "Micro-expression
# recognition model based on TV-L1 optical flow method and improved ShuffleNet"
# (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022), Fig. 5, eqs. 12-15,
# hinge eq. 17. Method notes and every deviation: docs/methods/shufflenet.md.
#
# Placement (Fig. 5: "a modified ViT module is inserted before and after the
# last ShuffleNetV2 layer"): one LiteViTBlock after stage3 (232 x 14 x 14)
# and one after stage4 (464 x 7 x 7; 7x7 is resized to 8x8 for the 2x2
# patches and back).
#
# Sizes (the paper gives none) chosen so that the model has the paper's
# "1.53 million training parameters": d = 64 after stage3 and d = 96 after
# stage4 (MobileViT-XXS widths), L = 2 layers, 4 heads, MLP ratio 2, n = 3,
# 2x2 patches, Ghost q = k = v projection (eqs. 13-14).
# conv_mode='lite' -- a DEVIATION from the wording "n x n standard
# convolutional layer": at 232 / 464 channels the block's local and fusion
# convolutions alone cannot fit the published count (with d = 96 / 120,
# standard: model 8,949,039 parameters; depthwise-separable: 2,513,127). 'lite' makes the
# local n x n conv depthwise (with the 1x1 C -> d projection it forms a
# depthwise-separable conv) and the 2C -> C fusion an n x n conv with C groups
# over channel pairs (input channel c with global channel c).
#
# Trainable parameters with the 3-class head: 1,549,503 (+1.3 % of 1.53 M) =
# 1,253,604 (backbone) + ViT blocks + 3,075 (head), pinned in
# tests/test_models/test_backbones/test_shufflenet_v2.py.
#
# Head, activation and input scaling as in shufflenetv2_cbam.py.
_base_ = './shufflenetv2_cbam.py'

# Same backbone, head and input as the CBAM base; only the attention plug-ins
# differ (the list replaces the CBAM one). The two blocks differ only in d.
__vit_block = dict(type='LiteViTBlock', num_layers=2, num_heads=4, mlp_ratio=2.0,
                   patch_size=2, kernel_size=3, conv_mode='lite',
                   act_cfg=dict(type='LeakyReLU', negative_slope=0.01),
                   mlp_act_cfg=dict(type='SiLU'))
model = dict(backbone=dict(plugins=[
    dict(position='after_stage3', cfg=dict(__vit_block, embed_dims=64)),
    dict(position='after_stage4', cfg=dict(__vit_block, embed_dims=96)),
]))
