# Comparison in the style of paper Table 9, "Feature concatenation", on
# CASME II 3 classes, a setting the paper does not report (its Table 9 uses
# the composite, CASME II 5-class and SAMM 5-class sets:
# swin_aa_concat_{3db,casme2_5cls,samm_5cls}.py). The two branch maps are
# concatenated along channels (8C = 1024) instead of added, so the head sees
# 1024 * 14 * 14 features (44,409,253 parameters).
# Deviations: docs/methods/edmdbn.md.
_base_ = ['./swin_aa_casme2.py']

model = dict(backbone=dict(fusion='concat'),
             head=dict(in_channels=1024 * 14 * 14))
