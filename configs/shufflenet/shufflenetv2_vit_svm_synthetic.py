# Fast twin of shufflenetv2_vit_svm_casme2.py on the embedded synthetic
# dataset: stage 2 (fine-tuning with the SVM classifier) of ShuffleNetV2 +
# improved lightweight ViT, "Micro-expression recognition model based on TV-L1
# optical flow method and improved ShuffleNet" (Liu et al., Scientific
# Reports 2022), LOSO over the 8 synthetic subjects.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_svm_synthetic.py
#
# Each fold starts from the stage-1 checkpoint of the SAME fold,
# <stage1_work_dir>/fold_<subject>/best_UAR_epoch_*.pth. The stage-1 work dir
# is set in ONE place, loso.init_from.work_dir; redirect it with
#   --cfg-options loso.init_from.work_dir=DIR
# A fold whose stage-1 checkpoint is missing stops with FileNotFoundError.
#
# Same network, SVM head, appearance input, flip expansion, class-balanced
# sampling, Adam 1e-3 with the lr on the training hinge-loss plateau and
# last-epoch evaluation as the faithful configs. Deviations, all for
# minutes-scale runs on a 2-core CPU: input 112x112 (as in stage 1), 12 epochs
# instead of 50 (TrainLossPlateauLR patience 5 kept), batch 15 (5 per class),
# num_workers 0. docs/methods/shufflenet.md has the numbers these twins give.
_base_ = [
    '../_base_/datasets/synthetic.py',
    '../_base_/datasets/pipelines/shufflenet_appearance.py',
    '../_base_/models/shufflenetv2_vit.py',
    '../_base_/schedules/shufflenet_svm.py',
]

input_size = 112
# read by tools/analysis/get_flops.py and benchmark.py
input_shape = (3, input_size, input_size)
loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_vit_flowpretrain_synthetic',
                           checkpoint='best_UAR_epoch_*.pth'))

# The stage's preprocessing with the face crop at input_size.
_preprocess = dict(_base_.shufflenet_preprocess, pipeline=[
    dict(step, size=input_size) if step['type'] == 'AlignCropFace' else step
    for step in _base_.shufflenet_preprocess.pipeline])
train_dataloader = dict(_base_.shufflenet_train_dataloader, batch_size=15, num_workers=0,
                        dataset=dict(_base_.shufflenet_train_dataloader.dataset,
                                     preprocess=_preprocess))
test_dataloader = dict(_base_.shufflenet_test_dataloader, batch_size=30, num_workers=0,
                       dataset=dict(_base_.shufflenet_test_dataloader.dataset,
                                    preprocess=_preprocess))
del _preprocess

train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=5))
