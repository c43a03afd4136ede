# Ablation, paper Table 8, "Swin-T", on the MEGC2019 composite, 3 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# both branches without the accumulated token attention (18 fewer
# parameters), against "Swin-T with AA".
# Paper, Composite (3 classes): Acc 90.74 %, UF1 0.8750 (full model 91.03 %,
# 0.8821; per-fold test-subject checkpoint selection, see --oracle).
# 44,108,179 parameters. Everything else as swin_aa_3db.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_3db.py']

model = dict(backbone=dict(token_attention=False))
