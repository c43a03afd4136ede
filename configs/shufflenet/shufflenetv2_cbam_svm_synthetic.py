# Fast twin of shufflenetv2_cbam_svm_casme2.py on the embedded synthetic
# dataset: stage 2 (SVM head on the appearance input) of ShuffleNetV2 + CBAM,
# LOSO over the 8 synthetic subjects, each fold initialised from the same
# fold of shufflenetv2_cbam_flowpretrain_synthetic.py.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_svm_synthetic.py
#
# Everything as the ViT twin (see shufflenetv2_vit_svm_synthetic.py) except
# the attention plug-in (CBAM after conv5, as in
# ../_base_/models/shufflenetv2_cbam.py) and the stage-1 work dir.
_base_ = ['./shufflenetv2_vit_svm_synthetic.py']
model = dict(backbone=dict(plugins=[
    dict(position='after_conv5',
         cfg=dict(type='CBAM', reduction=16, spatial_kernel=7))]))
loso = dict(init_from=dict(
    work_dir='work_dirs/shufflenetv2_cbam_flowpretrain_synthetic'))
