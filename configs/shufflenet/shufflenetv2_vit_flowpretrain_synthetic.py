# Fast twin of shufflenetv2_vit_flowpretrain_casme2.py on the embedded
# synthetic dataset: stage 1 (pre-training on TV-L1 flow images) of
# ShuffleNetV2 + improved lightweight ViT, "Micro-expression recognition model
# based on TV-L1 optical flow method and improved ShuffleNet" (Liu et al.,
# Scientific Reports 2022), LOSO over the 8 synthetic subjects.
#
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_flowpretrain_synthetic.py
#   python tools/train.py configs/shufflenet/shufflenetv2_vit_svm_synthetic.py
#
# Same network, heads, input encoding, flip expansion, class-balanced
# sampling and honest model selection (best validation UAR on 20 % of the
# fold's TRAINING subjects) as the faithful configs. Deviations, all for
# minutes-scale runs on a 2-core CPU:
# - input 112x112 instead of 224x224 (AlignCropFace size 112; TV-L1 on the
#   112 px face is ~4x cheaper). conv5 gives 1024 x 4 x 4 before the global
#   pool; the ViT blocks see 7x7 and 4x4 maps (resized to multiples of the
#   2x2 patch and back). Parameter count unchanged.
# - 12 epochs instead of 50; batch 15 (5 per class) instead of 30;
#   num_workers 0.
# docs/methods/shufflenet.md has the numbers these twins give.
_base_ = [
    '../_base_/datasets/synthetic.py',
    '../_base_/datasets/pipelines/shufflenet_flow.py',
    '../_base_/models/shufflenetv2_vit.py',
    '../_base_/models/shufflenetv2_heads.py',
    '../_base_/schedules/shufflenet_flowpretrain.py',
]

input_size = 112
# read by tools/analysis/get_flops.py and benchmark.py
input_shape = (3, input_size, input_size)
model = dict(head=_base_.shufflenet_softmax_head)

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
