# Ablation, paper Table 9, "Feature concatenation", on CASME II, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# the two branch maps are concatenated along channels (8C = 1024)
# instead of added, so the head sees 1024 * 14 * 14 features.
# Paper, CASME II (5 classes): Acc 84.56 %, UF1 0.8116 (full model 88.26 %,
# 0.8591; per-fold test-subject checkpoint selection, see --oracle).
# 44,810,663 parameters. Everything else as swin_aa_casme2_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_casme2_5cls.py']

model = dict(backbone=dict(fusion='concat'),
             head=dict(in_channels=1024 * 14 * 14))
