# Ablation in the style of paper Table 6, "Only detail branch", on CASME II
# 3 classes, a setting the paper does not report (its Table 6 uses the
# composite, CASME II 5-class and SAMM 5-class sets:
# swin_aa_detail_only_{3db,casme2_5cls,samm_5cls}.py). EDMDBN without the
# entire branch; slice 0 (entire motion) of the input is ignored.
# 22,204,628 parameters. Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_casme2.py']

model = dict(backbone=dict(branches=('detail', )))
