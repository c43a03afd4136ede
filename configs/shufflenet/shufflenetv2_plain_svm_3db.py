# Stage 2 (fine-tuning on the aligned, masked apex frames with the SVM
# classifier) of plain ShuffleNetV2 (no attention plug-in),
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022),
# LOSO on the MEGC2019 composite (SMIC-HS + CASME II + SAMM).
# Published: none (the paper reports SMIC, CASME II, SAMM and MMEW
# separately).
#
# Each fold starts from the stage-1 checkpoint of the SAME fold
# (work_dirs/shufflenetv2_plain_flowpretrain_3db/fold_<subject>/best_UAR_epoch_*.pth,
# selected on a validation split of that fold's training subjects); run
# shufflenetv2_plain_flowpretrain_3db.py first. Only backbone and plug-in
# weights carry over (the stage-1 softmax layer is not the SVM decision layer).
# Method notes, deviations and measured numbers: docs/methods/shufflenet.md.
_base_ = [
    '../_base_/datasets/composite_3db_shufflenet_appearance.py',
    '../_base_/models/shufflenetv2_plain.py',
    '../_base_/schedules/shufflenet_svm.py',
]

loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_plain_flowpretrain_3db',
                           checkpoint='best_UAR_epoch_*.pth'))
