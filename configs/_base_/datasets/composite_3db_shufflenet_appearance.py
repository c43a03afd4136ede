# The MEGC2019 composite (SMIC-HS + CASME II + SAMM) with the stage-2 input of
# "Micro-expression recognition model based on TV-L1 optical flow method and
# improved ShuffleNet" (Liu et al., Scientific Reports 2022): the aligned,
# eye-masked gray apex frame, batch 30 class-balanced, flip expansion of the
# training split (./pipelines/shufflenet_appearance.py), merged into the
# loaders of ./composite_3db.py. A ShuffleNet leaf lists this with a model and
# a schedule base.
_base_ = ['./composite_3db.py', './pipelines/shufflenet_appearance.py']

train_dataloader = _base_.shufflenet_train_dataloader
test_dataloader = _base_.shufflenet_test_dataloader
