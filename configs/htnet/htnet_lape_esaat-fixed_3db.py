# Ablation of ./htnet_lape_esaat_3db.py: no entropy-based selection. Every
# fold removes the same, data-free set of top-level attention sublayers, the
# last six (keep 4-7 of 4..13; negative indices so a shrunk twin with >= 6
# top-level blocks keeps "drop the last six"). Same parameter count
# (114,563,958); isolates what the per-fold selection adds.
#   python tools/train.py configs/htnet/htnet_lape_esaat-fixed_3db.py
_base_ = ['./htnet_lape_esaat_3db.py']
model = dict(backbone=dict(drop_attention=[-6, -5, -4, -3, -2, -1]))
loso = dict(fold_preparers=[])
