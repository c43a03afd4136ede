# Stage 1 (pre-training on TV-L1 flow images, softmax classifier) of
# ShuffleNetV2 + CBAM, "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022),
# LOSO on MMEW. Stage 2 is shufflenetv2_cbam_svm_mmew.py, which loads
# this config's fold checkpoints from
# work_dirs/shufflenetv2_cbam_flowpretrain_mmew/fold_<subject>/.
#
# Model selection: best validation UAR on 20 % of the fold's TRAINING
# subjects (loso.val_subjects); the test subject never steers stage 1.
# Method notes, deviations and measured numbers: docs/methods/shufflenet.md.
_base_ = [
    '../_base_/datasets/mmew_shufflenet_flow.py',
    '../_base_/models/shufflenetv2_cbam.py',
    '../_base_/models/shufflenetv2_heads.py',
    '../_base_/schedules/shufflenet_flowpretrain.py',
]

model = dict(head=_base_.shufflenet_softmax_head)
