# HTNet + LAPE (the LAPE/ESAAT paper, Zhang et al. 2025, eq. 6) on 3DB: one
# learnable 256-d vector per patch position (1x256x4x4, trunc-normal 0.02)
# added after the patch embedding; HTNet's per-level scalar kept, so the rest
# of the backbone stays the official one (mmmer's layout: the paper gives only
# the equation). 139,587,078 parameters.
# Schedule as the paper: Adam 5e-5, 800 epochs; batch 256 (HTNet's; the paper
# does not state it). Also the full model that ESAAT's selection runs on
# (tools/analysis/esaat_select.py, which can train it for fewer epochs, e.g.
# 200, to save compute; docs/methods/htnet_lape_esaat.md).
_base_ = ['./htnet_3db.py']
model = dict(backbone=dict(lape=True))
