# Ablation, paper Table 6, "Only detail branch", on CASME II, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# EDMDBN without the entire branch; slice 0 (entire motion) of the input
# is ignored.
# Paper, CASME II (5 classes): Acc 86.26 %, UF1 0.8421 (full model 88.26 %,
# 0.8591; per-fold test-subject checkpoint selection, see --oracle).
# 22,405,334 parameters. Everything else as swin_aa_casme2_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_casme2_5cls.py']

model = dict(backbone=dict(branches=('detail', )))
