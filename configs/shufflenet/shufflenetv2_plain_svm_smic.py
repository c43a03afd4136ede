# Stage 2 (fine-tuning on the aligned, masked apex frames with the SVM
# classifier) of plain ShuffleNetV2 (no attention plug-in),
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022),
# LOSO on SMIC.
# Published (UAR / UF1): Table 2 "ShuffleNetV2" 0.6394 / 0.6451.
#
# Each fold starts from the stage-1 checkpoint of the SAME fold
# (work_dirs/shufflenetv2_plain_flowpretrain_smic/fold_<subject>/best_UAR_epoch_*.pth,
# selected on a validation split of that fold's training subjects); run
# shufflenetv2_plain_flowpretrain_smic.py first. Only backbone and plug-in
# weights carry over (the stage-1 softmax layer is not the SVM decision layer).
# Method notes, deviations and measured numbers: docs/methods/shufflenet.md.
_base_ = [
    '../_base_/datasets/smic_shufflenet_appearance.py',
    '../_base_/models/shufflenetv2_plain.py',
    '../_base_/schedules/shufflenet_svm.py',
]

loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_plain_flowpretrain_smic',
                           checkpoint='best_UAR_epoch_*.pth'))
