# Ablation, paper Table 6, "Only entire branch", on SAMM, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# EDMDBN without the detail branch; the input keeps the same packing and
# the detail slices are ignored.
# Paper, SAMM (5 classes): Acc 77.96 %, UF1 0.7381 (full model 81.58 %,
# 0.7573; per-fold test-subject checkpoint selection, see --oracle).
# 22,405,334 parameters. Everything else as swin_aa_samm_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_samm_5cls.py']

model = dict(backbone=dict(branches=('entire', )))
