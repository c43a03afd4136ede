# Table 2 ablation "without pre-trained" of
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022):
# shufflenetv2_plain_svm_casme2.py without the stage-1 flow pre-training (every fold
# starts from random weights).
# Published (UAR / UF1): Table 2 "ShuffleNetV2 without pre-trained" 0.6336 / 0.6497.
# docs/methods/shufflenet.md.
_base_ = ['./shufflenetv2_plain_svm_casme2.py']

loso = dict(init_from=None)
