# Table 2 ablation "without pre-trained" of
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022):
# shufflenetv2_vit_svm_smic.py without the stage-1 flow pre-training (every fold
# starts from random weights).
# Published (UAR / UF1): none for this variant; Table 2 reports the
# ablation for the plain ShuffleNetV2, "ShuffleNetV2 without pre-trained": 0.6180 / 0.6104.
# docs/methods/shufflenet.md.
_base_ = ['./shufflenetv2_vit_svm_smic.py']

loso = dict(init_from=None)
