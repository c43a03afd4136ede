# Paper D Table 2 ablation "without pre-trained": shufflenetv2_vit_svm_casme2.py without the
# stage-1 flow pre-training (every fold starts from random weights).
_base_ = ['./shufflenetv2_vit_svm_casme2.py']

loso = dict(init_from=None)
