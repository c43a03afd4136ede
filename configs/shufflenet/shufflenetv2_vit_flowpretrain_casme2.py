# Stage 1 (pre-training on TV-L1 flow images, softmax classifier) of
# ShuffleNetV2 + improved lightweight ViT (the proposed model), "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022),
# LOSO on CASME II. Stage 2 is shufflenetv2_vit_svm_casme2.py, which loads
# this config's fold checkpoints from
# work_dirs/shufflenetv2_vit_flowpretrain_casme2/fold_<subject>/.
#
# Model selection: best validation UAR on 20 % of the fold's TRAINING
# subjects (loso.val_subjects); the test subject never steers stage 1.
# Method notes, deviations and measured numbers: docs/methods/shufflenet.md.
_base_ = [
    '../_base_/datasets/casme2_shufflenet_flow.py',
    '../_base_/models/shufflenetv2_vit.py',
    '../_base_/models/shufflenetv2_heads.py',
    '../_base_/schedules/shufflenet_flowpretrain.py',
]

model = dict(head=_base_.shufflenet_softmax_head)
