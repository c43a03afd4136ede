# Fast twin of ahmsa_3db.py on the embedded synthetic dataset.
# mmmer's AHMSA-Net reconstruction (channel + spatial attention + FFN
# blocks, adaptive max-pool downsampling) at demo size: dim 64 instead of 256,
# blocks (2, 2, 2) instead of (2, 2, 8); Adam lr 5e-4 for 60 epochs at batch
# 32 instead of 5e-6 / 800 / 256, so LOSO over 8 subjects takes minutes.
# Input: the HTNet region tiles of the synthetic base (the paper's own five-region
# variant is the AHMSARegions transform; see ahmsa_casme3.py).
_base_ = ['../_base_/models/ahmsa.py', '../_base_/schedules/htnet_adam_60e_synthetic.py']
model = dict(backbone=dict(dim=64, block_repeats=(2, 2, 2)), head=dict(in_channels=256))
