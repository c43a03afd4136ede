# Paper D Table 2 ablation "without pre-trained": shufflenetv2_vit_svm_samm.py without the
# stage-1 flow pre-training (every fold starts from random weights).
_base_ = ['./shufflenetv2_vit_svm_samm.py']

loso = dict(init_from=None)
