# Paper D Table 2 ablation "without SVM classifier": shufflenetv2_vit_svm_casme2.py with the
# softmax classifier (LinearClsHead, cross-entropy, dropout 0.5) instead of
# the SVM head; still initialised from the same fold's stage-1 checkpoint.
# LinearClsHead has no L2 term, so this ablation also drops the 0.2 L2 penalty
# (in the paper the L2 setting is stated once for the experiments in general).
_base_ = ['./shufflenetv2_vit_svm_casme2.py']

model = dict(
    head=dict(_delete_=True, type='LinearClsHead', num_classes=3, in_channels=1024,
              dropout=0.5, loss=dict(type='CrossEntropyLoss')))
