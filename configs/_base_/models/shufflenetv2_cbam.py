# ShuffleNetV2 1.0x + CBAM + SVM (hinge) head: "ShuffleNetV2 with CBAM" of
# "Micro-expression recognition model based on TV-L1 optical flow method and
# improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022),
# Table 1 layout, CBAM eqs. 10-11, hinge eq. 17. Also the base of the ViT and
# plain variants (shufflenetv2_vit.py, shufflenetv2_plain.py), which change
# only the plug-ins. Method notes and every deviation: docs/methods/shufflenet.md.
#
# Choices where the paper is silent:
# - CBAM is "applied only once in the network structure"; it sits after conv5
#   (1024 x 7 x 7), reduction r = 16, 7x7 spatial kernel.
# - LeakyReLU slope 0.01 everywhere (PyTorch default; Keras' default is 0.3).
# - Head: dropout 0.5, Linear(1024, 3), multi-class hinge of eq. 17 with
#   p = 1 (the plain hinge; eq. 17 leaves p open) and margin 1, plus
#   0.2 * sum(w^2) of the decision layer (l2_scope='head': the ||w||^2 of a
#   linear SVM), as an explicit loss term `loss_l2`. The literal reading, 0.2
#   over EVERY conv / FC kernel of the model, is ~1000x the hinge loss at
#   initialisation and left stage 2 at chance on the synthetic twins (CBAM
#   UF1 0.28 vs 0.74 with 'head'); it is kept as the *_svm-literal-l2_*
#   ablation. Measurements: docs/methods/shufflenet.md.
# - Input: 3 x 224 x 224 in [0, 1] (GrayToThreeChannels / FlowToImage scale to
#   [0, 1]); no mean/std normalisation (the paper mentions none; BN follows
#   conv1).
#
# Trainable parameters with the 3-class head: 1,388,938 = 1,253,604 (backbone)
# + 132,259 (CBAM) + 3,075 (head) (pinned in
# tests/test_models/test_backbones/test_shufflenet_v2.py).
model = dict(
    type='MEClassifier',
    data_preprocessor=dict(type='MEDataPreprocessor', mean=None, std=None),
    backbone=dict(
        type='ShuffleNetV2',
        stage_channels=(116, 232, 464),
        stage_repeats=(4, 8, 4),
        conv5_channels=1024,
        act_cfg=dict(type='LeakyReLU', negative_slope=0.01),
        out_indices=(3, ),
        global_pool=True,
        plugins=[
            dict(position='after_conv5',
                 cfg=dict(type='CBAM', reduction=16, spatial_kernel=7)),
        ]),
    neck=None,
    head=dict(
        type='SVMHingeHead',
        num_classes=3,
        in_channels=1024,
        loss=dict(type='MultiClassHingeLoss', margin=1.0, p=1),
        dropout=0.5,
        l2_weight=0.2,
        l2_scope='head'),
)

# Shape of one input sample (C, H, W), read by tools/analysis/get_flops.py and benchmark.py.
input_shape = (3, 224, 224)
