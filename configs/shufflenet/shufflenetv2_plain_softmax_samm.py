# Table 2 ablation "without SVM classifier" of
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022):
# shufflenetv2_plain_svm_samm.py with the softmax classifier (cross-entropy, dropout 0.5,
# no L2 term) instead of the SVM head; still initialised from the same fold's
# stage-1 checkpoint.
# Published (UAR / UF1): Table 2 "ShuffleNetV2 without SVM classifier" 0.5925 / 0.5899.
# docs/methods/shufflenet.md.
_base_ = ['./shufflenetv2_plain_svm_samm.py', '../_base_/models/shufflenetv2_heads.py']

model = dict(head=_base_.shufflenet_softmax_head)
