# Stage-1 schedule of "Micro-expression recognition model based on TV-L1
# optical flow method and improved ShuffleNet" (Liu et al., Scientific
# Reports 2022), "TV-L1 optical flow features and pre-training": initial lr
# 0.001 (Adam, ./shufflenet_common.py), "saving the weights when accuracy is
# high". Input: ../datasets/pipelines/shufflenet_flow.py; classifier:
# shufflenet_softmax_head of ../models/shufflenetv2_heads.py.
#
# Honest selection: "when accuracy is high" is read as the best epoch on a
# VALIDATION split carved from the fold's training subjects (subject-grouped,
# 20 %, seed 0: loso.val_subjects, handled by mmmer.engine.loso); the test
# subject never steers stage 1. The best-UAR checkpoint (best_UAR_epoch_N.pth,
# one per fold) is what stage 2 loads. UAR rather than accuracy because the
# validation split is class-imbalanced.
#
# Paper silent -> chosen here: 50 epochs, no lr decay.
_base_ = ['./shufflenet_common.py']

param_scheduler = []
val_cfg = dict()
val_evaluator = dict(type='MEMetric')

default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=1,
                    save_last=True, save_best='UAR', rule='greater'))
loso = dict(val_subjects=dict(fraction=0.2, seed=0))
