# AHMSA-Net (Zhang et al., 2025) on CAS(ME)^3 part A, 3 classes, LOSO (paper
# Table 5).
# Same model and schedule as ./ahmsa_3db.py (Adam 5e-6, batch 256, 800
# epochs, a checkpoint every 50); inputs are mmmer's TV-L1 flow/strain tiles
# from the casme3 base (paper: TV-L1 + strain; the HTNet repo's CAS(ME)^3
# builder used Farneback and magnitude instead).
_base_ = [
    '../_base_/models/ahmsa.py',
    '../_base_/datasets/casme3.py',
    '../_base_/schedules/htnet_adam_800e.py',
]
optim_wrapper = dict(optimizer=dict(lr=5e-6))

# The AHMSA-Net paper's own input (Sec. 3.2): five facial regions (both eyes,
# nose, both mouth corners) located with dlib landmarks on the apex frame
# (paper: MediaPipe on the apex; docs/methods/ahmsa.md), aligned with them,
# cropped from the full-resolution u/v/strain maps and recombined into one
# 28x28 map (AHMSARegions; the recombination layout is our reading, see its
# docstring). That is the dataset base's dlib flow route (key frames, dlib on
# the apex, aligned 224 px face, TV-L1, strain, planes scaled to 0..255)
# without its 28x28 resize and region tiles, ending in AHMSARegions instead.
ahmsa_flow_pipeline = [
    step for step in _base_.htnet_flow_pipeline_dlib
    if step.type not in ('ResizeMotion', 'FacialRegionTiles')
] + [dict(type='AHMSARegions', size=28)]
train_dataloader = dict(dataset=dict(preprocess=dict(pipeline=ahmsa_flow_pipeline)))
test_dataloader = dict(dataset=dict(preprocess=dict(pipeline=ahmsa_flow_pipeline)))
