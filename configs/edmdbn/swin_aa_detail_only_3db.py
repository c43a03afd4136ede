# Ablation, paper Table 6, "Only detail branch", on the MEGC2019 composite, 3 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# EDMDBN without the entire branch; slice 0 (entire motion) of the input
# is ignored.
# Paper, Composite (3 classes): Acc 88.89 %, UF1 0.8705 (full model 91.03 %,
# 0.8821; per-fold test-subject checkpoint selection, see --oracle).
# 22,204,628 parameters. Everything else as swin_aa_3db.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_3db.py']

model = dict(backbone=dict(branches=('detail', )))
