# AHMSA-Net (Zhang et al., 2025) on CAS(ME)^3 part A, 3 classes, LOSO (paper
# Table 5).
# Same model and schedule as ./ahmsa_3db.py (Adam 5e-6, batch 256, 800
# epochs); inputs are mmmer's TV-L1 flow/strain tiles from the casme3 base
# (paper: TV-L1 + strain; the HTNet repo's CAS(ME)^3 builder used Farneback and
# magnitude instead).
_base_ = [
    '../_base_/models/ahmsa.py',
    '../_base_/datasets/casme3.py',
    '../_base_/schedules/htnet_adam_800e.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=5e-6))
train_dataloader = dict(batch_size=256)
# A checkpoint of this model holds ~1.7 GB (weights + Adam moments): save every
# 50 epochs, keep the latest; an interrupted fold resumes from it.
default_hooks = dict(checkpoint=dict(interval=50))

# The AHMSA-Net paper's own input (Sec. 3.2): five facial regions (both eyes,
# nose, both mouth corners) located with dlib landmarks on the apex frame
# (paper: MediaPipe
# on the apex; docs/methods/ahmsa.md), aligned with them, cropped
# from the full-resolution u/v/strain maps and recombined into one 28x28 map
# (AHMSARegions; the recombination layout is our reading, see its docstring).
ahmsa_flow_pipeline = [
    dict(type='LoadKeyFrames', keys=('onset', 'apex')),
    dict(type='DetectFaceLandmarks', frame_index='apex', on_failure='center_fallback'),
    dict(type='AlignCropFace', size=224),
    dict(type='TVL1Flow'),
    dict(type='OpticalStrain'),
    dict(type='StackMotion', normalize='minmax255'),
    dict(type='AHMSARegions', size=28),
]
train_dataloader = dict(dataset=dict(preprocess=dict(pipeline=ahmsa_flow_pipeline)))
test_dataloader = dict(dataset=dict(preprocess=dict(pipeline=ahmsa_flow_pipeline)))
