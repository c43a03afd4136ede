# Plain ShuffleNetV2 1.0x (no attention plug-in) + SVM (hinge) head: the
# "ShuffleNetV2" row of Table 2 (ablations) of "Micro-expression recognition
# model based on TV-L1 optical flow method and improved ShuffleNet" (Liu et
# al., Scientific Reports 2022). Same backbone, LeakyReLU, head and input as
# shufflenetv2_cbam.py without the CBAM plug-in; docs/methods/shufflenet.md.
#
# Trainable parameters with the 3-class head: 1,256,679 = 1,253,604
# (backbone) + 3,075 (head), pinned in
# tests/test_models/test_backbones/test_shufflenet_v2.py.
_base_ = './shufflenetv2_cbam.py'

model = dict(backbone=dict(plugins=[]))
