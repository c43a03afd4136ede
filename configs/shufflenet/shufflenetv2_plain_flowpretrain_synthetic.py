# Fast twin of shufflenetv2_plain_flowpretrain_casme2.py on the embedded
# synthetic dataset: stage 1 (TV-L1 flow-image pre-training) of
# plain ShuffleNetV2 (Table 2 "ShuffleNetV2"), LOSO over the 8 synthetic subjects. Stage 2 is
# shufflenetv2_plain_svm_synthetic.py.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_plain_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_plain_svm_synthetic.py
#
# Everything as the ViT twin (112 px input, 12 epochs, batch 15, validation
# split of the training subjects; see shufflenetv2_vit_flowpretrain_synthetic.py)
# except the attention plug-in (none, as in
# ../_base_/models/shufflenetv2_plain.py).
_base_ = ['./shufflenetv2_vit_flowpretrain_synthetic.py']
model = dict(backbone=dict(plugins=[]))
