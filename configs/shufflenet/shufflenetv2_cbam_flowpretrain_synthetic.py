# Fast twin of shufflenetv2_cbam_flowpretrain_casme2.py on the embedded
# synthetic dataset: stage 1 (TV-L1 flow-image pre-training) of
# ShuffleNetV2 + CBAM, LOSO over the 8 synthetic subjects. Stage 2 is
# shufflenetv2_cbam_svm_synthetic.py.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_svm_synthetic.py
#
# Everything as the ViT twin (112 px input, 12 epochs, batch 15, validation
# split of the training subjects; see shufflenetv2_vit_flowpretrain_synthetic.py)
# except the attention plug-in (CBAM after conv5, as in
# ../_base_/models/shufflenetv2_cbam.py).
_base_ = ['./shufflenetv2_vit_flowpretrain_synthetic.py']
model = dict(backbone=dict(plugins=[
    dict(position='after_conv5',
         cfg=dict(type='CBAM', reduction=16, spatial_kernel=7))]))
