# Fast twin of htnet_lape_3db.py on the embedded synthetic dataset: the
# demo-sized HTNet of htnet_synthetic.py plus the learnable absolute position
# embedding of the LAPE/ESAAT paper (Zhang et al., 2025, eq. 6; one 64-d
# vector per 4x4 patch position here, the layout of htnet_lape_3db.py).
_base_ = ['./htnet_synthetic.py']
model = dict(backbone=dict(lape=True))
