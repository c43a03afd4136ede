# Fast twin of shufflenetv2_cbam_svm_casme2.py on the embedded synthetic
# dataset: paper D stage 2 (fine-tuning with the SVM classifier) of
# ShuffleNetV2 + CBAM, LOSO over the 8 synthetic subjects.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_cbam_svm_synthetic.py
#
# Each fold starts from the stage-1 checkpoint of the SAME fold,
# <stage1_work_dir>/fold_<subject>/best_UAR_epoch_*.pth (best validation UAR
# on a split of that fold's training subjects). The stage-1 work dir is set in
# ONE place, loso.init_from.work_dir; redirect it with
#   --cfg-options loso.init_from.work_dir=DIR
# A fold whose stage-1 checkpoint is missing stops with FileNotFoundError.
# Only the backbone and CBAM weights carry over (the stage-1 softmax layer has
# another name than the SVM head's layer).
#
# Same network, SVM head (squared multi-class hinge + 0.2 * L2 on every
# conv / linear kernel, dropout 0.5), appearance input (gray apex, eye-line
# aligned, eye mask, 3 channels in [0, 1]), flip expansion, class-balanced
# sampling, Adam 1e-3 with the lr on the training-loss plateau and last-epoch
# evaluation as the faithful configs. Deviations, all for minutes-scale runs
# on a 2-core CPU:
# - input 112x112 instead of 224x224 (AlignCropFace size 112), as in stage 1;
#   the architecture allows it (see shufflenetv2_cbam_flowpretrain_synthetic.py).
# - 12 epochs instead of 50 (paper silent); TrainLossPlateauLR patience 5 kept.
# - batch 15 (5 per class) instead of 30; num_workers 0.
_base_ = [
    '../_base_/datasets/synthetic.py',
    '../_base_/models/shufflenetv2_cbam.py',
    '../_base_/schedules/shufflenet_svm.py',
]

input_size = 112
# read by tools/analysis/get_flops.py and benchmark.py
input_shape = (3, input_size, input_size)
loso = dict(init_from=dict(work_dir='work_dirs/shufflenetv2_cbam_flowpretrain_synthetic',
                           checkpoint='best_UAR_epoch_*.pth'))

# The appearance preprocessing of the stage base with the face crop at input_size.
_preprocess = dict(
    pipeline=[dict(step, size=input_size) if step['type'] == 'AlignCropFace' else step
              for step in _base_.shufflenet_appearance_preprocess_pipeline],
    keys=_base_.shufflenet_appearance_preprocess_keys)

# The dataset base's training split with this stage's pipelines (merged like
# an inherited config), wrapped as set in ../_base_/schedules/shufflenet_common.py.
_train = _base_.train_dataloader.dataset.copy()
_train.merge(_base_.shufflenet_train_dataset)
_train.merge(dict(preprocess=_preprocess))
train_dataloader = dict(_base_.shufflenet_train_dataloader, batch_size=15,
                        num_workers=0, dataset=dict(
                            _base_.shufflenet_train_dataloader.dataset, dataset=_train))
test_dataloader = dict(_base_.shufflenet_test_dataloader, batch_size=30, num_workers=0,
                       dataset=dict(_base_.shufflenet_test_dataloader.dataset,
                                    preprocess=_preprocess))
del _train, _preprocess

train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=5))
