# Stage 2 (fine-tuning on the aligned, masked apex frames with the SVM
# classifier) of ShuffleNetV2 + CBAM,
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022),
# LOSO on SAMM.
# Published (UAR / UF1): Table 2 "ShuffleNetV2 with CBAM" 0.6802 / 0.6694.
#
# Each fold starts from the stage-1 checkpoint of the SAME fold
# (work_dirs/shufflenetv2_cbam_flowpretrain_samm/fold_<subject>/best_UAR_epoch_*.pth,
# selected on a validation split of that fold's training subjects); run
# shufflenetv2_cbam_flowpretrain_samm.py first. Only backbone and plug-in
# weights carry over (the stage-1 softmax layer is not the SVM decision layer).
# Method notes, deviations and measured numbers: docs/methods/shufflenet.md.
_base_ = [
    '../_base_/datasets/samm_shufflenet_appearance.py',
    '../_base_/models/shufflenetv2_cbam.py',
    '../_base_/schedules/shufflenet_svm.py',
]

loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_cbam_flowpretrain_samm',
                           checkpoint='best_UAR_epoch_*.pth'))
