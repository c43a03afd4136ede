# Ablation (paper Table 8, "Swin-T" vs "Swin-T with AA"): both branches
# without the accumulated token attention (18 fewer parameters).
_base_ = ['./swin_aa_casme2.py']

model = dict(backbone=dict(token_attention=False))
