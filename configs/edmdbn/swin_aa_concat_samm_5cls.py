# Ablation, paper Table 9, "Feature concatenation", on SAMM, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# the two branch maps are concatenated along channels (8C = 1024)
# instead of added, so the head sees 1024 * 14 * 14 features.
# Paper, SAMM (5 classes): Acc 77.90 %, UF1 0.7264 (full model 81.58 %,
# 0.7573; per-fold test-subject checkpoint selection, see --oracle).
# 44,810,663 parameters. Everything else as swin_aa_samm_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_samm_5cls.py']

model = dict(backbone=dict(fusion='concat'),
             head=dict(in_channels=1024 * 14 * 14))
