# Ablation (paper Table 6, "Only entire branch"): EDMDBN without the detail
# branch; the input keeps the same packing and the detail slices are ignored.
_base_ = ['./swin_aa_casme2.py']

model = dict(backbone=dict(branches=('entire', )))
