# AHMSA-Net (Zhang et al., 2025) on 3DB, LOSO over 68 subjects. Paper Table
# 3: Adam lr 5e-6, batch 256, 800 epochs, CE; blocks (2, 2, 8). The
# architecture is mmmer's reconstruction (no public code); its guessed parts
# are the backbone arguments in ../_base_/models/ahmsa.py. The paper says
# nothing about epoch selection: mmmer reports the last epoch
# (loso.oracle=True adds the test-fold best-epoch score for comparison). The
# paper's inputs (MediaPipe, 5 regions) are not available; HTNet's tiled 28x28
# flow maps are used, with the official MTCNN crop points (dlib:
# flow_folder_3db_dlib.py as base).
# Deviations and options: docs/methods/ahmsa.md.
_base_ = [
    '../_base_/models/ahmsa.py',
    '../_base_/datasets/flow_folder_3db.py',
    '../_base_/schedules/htnet_adam_800e.py',
]
optim_wrapper = dict(optimizer=dict(lr=5e-6))
