# Paper D stage 1 (pre-training on TV-L1 flow images) of ShuffleNetV2 + improved lightweight ViT (the paper's best model),
# LOSO on the MEGC2019 composite (SMIC-HS + CASME II + SAMM). Stage 2 is shufflenetv2_vit_svm_3db.py, which loads this
# config's fold checkpoints from work_dirs/shufflenetv2_vit_flowpretrain_3db/fold_<subject>/.
#
# Model: ../_base_/models/shufflenetv2_vit.py with the SVM head replaced by the softmax
# pre-training classifier (shufflenet_pretrain_head of the schedule base).
# Schedule, input encoding and the validation-split model selection
# (loso.val_subjects = 20 % of the fold's TRAINING subjects; never the test
# subject): ../_base_/schedules/shufflenet_flowpretrain.py.
# Data: ../_base_/datasets/composite_3db.py with its preprocessing replaced by the flow
# pipeline (cached separately: the cache key hashes the pipeline); training
# split wrapped in FlipExpandedDataset, sampled by ClassBalancedSampler.
_base_ = [
    '../_base_/datasets/composite_3db.py',
    '../_base_/models/shufflenetv2_vit.py',
    '../_base_/schedules/shufflenet_flowpretrain.py',
]

model = dict(head=_base_.shufflenet_pretrain_head)

# The dataset base's training split with this stage's pipelines (merged like
# an inherited config), wrapped as set in ../_base_/schedules/shufflenet_common.py.
_train = _base_.train_dataloader.dataset.copy()
_train.merge(_base_.shufflenet_train_dataset)
train_dataloader = dict(_base_.shufflenet_train_dataloader, dataset=dict(
    _base_.shufflenet_train_dataloader.dataset, dataset=_train))
del _train
test_dataloader = _base_.shufflenet_test_dataloader
