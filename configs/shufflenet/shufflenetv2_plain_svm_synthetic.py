# Fast twin of shufflenetv2_plain_svm_casme2.py on the embedded synthetic
# dataset: stage 2 (SVM head on the appearance input) of plain ShuffleNetV2 (Table 2 "ShuffleNetV2"),
# LOSO over the 8 synthetic subjects, each fold initialised from the same
# fold of shufflenetv2_plain_flowpretrain_synthetic.py.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_plain_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_plain_svm_synthetic.py
#
# Everything as the ViT twin (see shufflenetv2_vit_svm_synthetic.py) except
# the attention plug-in (none, as in
# ../_base_/models/shufflenetv2_plain.py) and the stage-1 work dir.
_base_ = ['./shufflenetv2_vit_svm_synthetic.py']
model = dict(backbone=dict(plugins=[]))
loso = dict(init_from=dict(
    work_dir='work_dirs/shufflenetv2_plain_flowpretrain_synthetic'))
