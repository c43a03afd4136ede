# Comparison (paper Table 9, "Feature concatenation"): the two branch maps
# are concatenated along channels (8C = 1024) instead of added, so the head
# sees 1024 * 14 * 14 features.
_base_ = ['./swin_aa_casme2.py']

model = dict(backbone=dict(fusion='concat'),
             head=dict(in_channels=1024 * 14 * 14))
