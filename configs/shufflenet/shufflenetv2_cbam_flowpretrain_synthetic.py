# Fast twin of shufflenetv2_cbam_flowpretrain_casme2.py on the embedded
# synthetic dataset: stage 1 (TV-L1 flow-image pre-training) of
# ShuffleNetV2 + CBAM, LOSO over the 8 synthetic subjects.
# Stage 2 is shufflenetv2_cbam_svm_synthetic.py, which loads this config's
# fold checkpoints from work_dirs/shufflenetv2_cbam_flowpretrain_synthetic/.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_svm_synthetic.py
#
# Everything as the ViT twin (112 px input, 12 epochs, batch 15, validation
# split of the training subjects; see shufflenetv2_vit_flowpretrain_synthetic.py)
# except the attention plug-in: CBAM after conv5 as in
# configs/_base_/models/shufflenetv2_cbam.py. At 112 px CBAM sees a 1024 x 4 x 4
# map instead of 7 x 7 (its 7x7 spatial conv is padded). Parameter count
# unchanged (1,388,938 with the 3-class head).
_base_ = ['./shufflenetv2_vit_flowpretrain_synthetic.py']
model = dict(backbone=dict(plugins=[
    dict(position='after_conv5',
         cfg=dict(type='CBAM', reduction=16, spatial_kernel=7))]))
