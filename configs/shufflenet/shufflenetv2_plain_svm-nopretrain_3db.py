# Table 2 ablation "without pre-trained" of
# "Micro-expression recognition model based on TV-L1 optical flow method
# and improved ShuffleNet" (Liu, Li, Yi, Hu, Zhang & Liu, Scientific Reports 2022):
# shufflenetv2_plain_svm_3db.py without the stage-1 flow pre-training (every fold
# starts from random weights).
# Published: none (the paper reports SMIC, CASME II, SAMM and MMEW
# separately).
# docs/methods/shufflenet.md.
_base_ = ['./shufflenetv2_plain_svm_3db.py']

loso = dict(init_from=None)
