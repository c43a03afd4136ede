# Ablation, paper Table 9, "Feature concatenation", on the MEGC2019 composite, 3 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# the two branch maps are concatenated along channels (8C = 1024)
# instead of added, so the head sees 1024 * 14 * 14 features.
# Paper, Composite (3 classes): Acc 89.50 %, UF1 0.8777 (full model 91.03 %,
# 0.8821; per-fold test-subject checkpoint selection, see --oracle).
# 44,409,253 parameters. Everything else as swin_aa_3db.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_3db.py']

model = dict(backbone=dict(fusion='concat'),
             head=dict(in_channels=1024 * 14 * 14))
