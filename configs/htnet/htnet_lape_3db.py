# HTNet + LAPE (seed paper A eq. 6) on 3DB: one learnable 256-d vector per
# patch position (1x256x4x4, trunc-normal 0.02) added after the patch
# embedding; HTNet's per-level scalar kept (specs/flow_models.md 2.1, a
# proposal: A gives only the equation). 139,587,078 parameters.
# Schedule as A: Adam 5e-5, 800 epochs; batch 256 (A does not state it).
# Also the full model that ESAAT's selection runs on
# (tools/analysis/esaat_select.py; spec 2.2 proposes 200 epochs for that).
_base_ = ['./htnet_3db.py']
model = dict(backbone=dict(lape=True))
