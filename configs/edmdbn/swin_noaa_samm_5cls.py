# Ablation, paper Table 8, "Swin-T", on SAMM, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# both branches without the accumulated token attention (18 fewer
# parameters), against "Swin-T with AA".
# Paper, SAMM (5 classes): Acc 80.28 %, UF1 0.7279 (full model 81.58 %,
# 0.7573; per-fold test-subject checkpoint selection, see --oracle).
# 44,308,885 parameters. Everything else as swin_aa_samm_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_samm_5cls.py']

model = dict(backbone=dict(token_attention=False))
