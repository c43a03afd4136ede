# Fast twin of the literal-L2 ablation (see shufflenetv2_vit_svm-literal-l2_casme2.py):
# shufflenetv2_vit_svm_synthetic.py with 0.2 * sum(w^2) over EVERY Conv/Linear
# kernel of the model (Keras l2(0.2) read literally). Uses the same stage-1
# checkpoints as shufflenetv2_vit_svm_synthetic.py. Measured against the
# default in docs/methods/shufflenet.md.
_base_ = ['./shufflenetv2_vit_svm_synthetic.py']

model = dict(head=dict(l2_scope='all', l2_weight=0.2))
