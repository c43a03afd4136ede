# Ablation: the literal reading of the L2 sentence of
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022)
# ("The convolutional and fully-connected layers of the model were subjected
# to L2 regularization at a scale of 0.2"): 0.2 * sum(w^2) over EVERY
# Conv/Linear kernel of the model (Keras l2(0.2) semantics), instead of the
# default scope of ../_base_/models/shufflenetv2_cbam.py. Otherwise identical
# to shufflenetv2_vit_svm_3db.py. Why it is not the default (measured on the
# synthetic twins): docs/methods/shufflenet.md.
_base_ = ['./shufflenetv2_vit_svm_3db.py']

model = dict(head=dict(l2_scope='all', l2_weight=0.2))
