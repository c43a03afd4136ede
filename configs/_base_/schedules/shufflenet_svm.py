# Stage-2 schedule of "Micro-expression recognition model based on TV-L1
# optical flow method and improved ShuffleNet" (Liu et al., Scientific
# Reports 2022): load the stage-1 weights of the same fold (a leaf sets
# loso.init_from), Adam with initial lr 0.001 ("10e-3" in the text is read as
# 1e-3, the value of the pre-training paragraph), lr "dynamically adjusted by
# accuracy and loss". Input: ../datasets/pipelines/shufflenet_appearance.py.
#
# Honest schedule: the lr follows the plateau of the epoch-mean TRAINING
# classification (hinge) loss `loss_cls`, not the total with the L2 term
# (TrainLossPlateauLR; factor 0.1 and patience 5 chosen here, Keras'
# ReduceLROnPlateau uses factor 0.1 / patience 10 by default over longer
# runs). An accuracy would need a held-out split, and under LOSO the only one
# is the test subject. No validation loop: the model after the last epoch is
# evaluated (loso.selection='last'). Paper silent -> chosen here: 50 epochs.
_base_ = ['./shufflenet_common.py']

param_scheduler = [dict(type='TrainLossPlateauLR', monitor='loss_cls', rule='less',
                        factor=0.1, patience=5, min_value=1e-6)]
val_cfg = None
