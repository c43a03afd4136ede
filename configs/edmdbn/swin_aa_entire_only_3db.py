# Ablation, paper Table 6, "Only entire branch", on the MEGC2019 composite, 3 classes
# ("Entire-detail motion dual-branch network for micro-expression
# recognition", Ma et al. 2025):
# EDMDBN without the detail branch; the input keeps the same packing and
# the detail slices are ignored.
# Paper, Composite (3 classes): Acc 90.86 %, UF1 0.8839 (full model 91.03 %,
# 0.8821; per-fold test-subject checkpoint selection, see --oracle).
# 22,204,628 parameters. Everything else as swin_aa_3db.py.
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_3db.py']

model = dict(backbone=dict(branches=('entire', )))
