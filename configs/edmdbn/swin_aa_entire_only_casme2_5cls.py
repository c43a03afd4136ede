# Ablation, paper Table 6, "Only entire branch", on CASME II, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# EDMDBN without the detail branch; the input keeps the same packing and
# the detail slices are ignored.
# Paper, CASME II (5 classes): Acc 82.98 %, UF1 0.8107 (full model 88.26 %,
# 0.8591; per-fold test-subject checkpoint selection, see --oracle).
# 22,405,334 parameters. Everything else as swin_aa_casme2_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_casme2_5cls.py']

model = dict(backbone=dict(branches=('entire', )))
