# Ablation (paper Table 6, "Only detail branch"): EDMDBN without the entire
# branch; slice 0 (entire motion) of the input is ignored.
_base_ = ['./swin_aa_casme2.py']

model = dict(backbone=dict(branches=('detail', )))
