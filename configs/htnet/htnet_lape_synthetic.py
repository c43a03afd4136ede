# Fast twin of htnet_lape_3db.py on the embedded synthetic dataset: the
# demo-sized HTNet of htnet_synthetic.py plus paper A's learnable absolute
# position embedding (Eq. 6; one 64-d vector per 4x4 patch position here,
# spec 2.1 layout).
_base_ = ['./htnet_synthetic.py']
model = dict(backbone=dict(lape=True))
