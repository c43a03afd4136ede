# Classifier heads of "Micro-expression recognition model based on TV-L1
# optical flow method and improved ShuffleNet" (Liu et al., Scientific
# Reports 2022) other than the SVM head of the model bases; a leaf picks one
# with `model = dict(head=_base_.<name>)`. docs/methods/shufflenet.md.
#
# shufflenet_softmax_head: the softmax (cross-entropy) classifier of the
# stage-1 pre-training ("the cross-entropy loss function is used ... and the
# Softmax classifier is used") and of the Table 2 ablation "without SVM
# classifier"; dropout 0.5 as for the SVM head. It has no L2 term: the paper
# states its L2 setting for the experiments with the SVM classifier.
shufflenet_softmax_head = dict(
    _delete_=True, type='LinearClsHead', num_classes=3, in_channels=1024,
    dropout=0.5, loss=dict(type='CrossEntropyLoss'))
