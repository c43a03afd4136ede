# Ablation, paper Table 8, "Swin-T", on CASME II, 5 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# both branches without the accumulated token attention (18 fewer
# parameters), against "Swin-T with AA".
# Paper, CASME II (5 classes): Acc 85.51 %, UF1 0.8231 (full model 88.26 %,
# 0.8591; per-fold test-subject checkpoint selection, see --oracle).
# 44,308,885 parameters. Everything else as swin_aa_casme2_5cls.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_casme2_5cls.py']

model = dict(backbone=dict(token_attention=False))
