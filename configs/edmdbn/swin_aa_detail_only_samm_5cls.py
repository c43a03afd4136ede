# Ablation, paper Table 6, "Only detail branch", on SAMM, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# EDMDBN without the entire branch; slice 0 (entire motion) of the input
# is ignored.
# Paper, SAMM (5 classes): Acc 76.89 %, UF1 0.6837 (full model 81.58 %,
# 0.7573; per-fold test-subject checkpoint selection, see --oracle).
# 22,405,334 parameters. Everything else as swin_aa_samm_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_samm_5cls.py']

model = dict(backbone=dict(branches=('detail', )))
