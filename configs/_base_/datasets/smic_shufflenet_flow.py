# SMIC-HS with the stage-1 input of "Micro-expression recognition model based
# on TV-L1 optical flow method and improved ShuffleNet" (Liu et al., Scientific
# Reports 2022): the TV-L1 flow image between onset and apex, batch 30
# class-balanced, flip expansion of the training split
# (./pipelines/shufflenet_flow.py), merged into the loaders of ./smic.py. A
# ShuffleNet leaf lists this with a model and a schedule base.
_base_ = ['./smic.py', './pipelines/shufflenet_flow.py']

train_dataloader = _base_.shufflenet_train_dataloader
test_dataloader = _base_.shufflenet_test_dataloader
