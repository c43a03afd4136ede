# HTNet on the MEGC2019 composite 3DB built from the raw frames of SMIC-HS,
# CASME II and SAMM (442 samples, 68 subjects) instead of HTNet's published
# flow images: mmmer computes the inputs itself (dlib alignment on the apex,
# TV-L1 onset->apex, optical strain, 28x28 region tiles at HTNet's official
# MTCNN points on the aligned apex; configs/_base_/datasets/me_flow_htnet.py),
# cached once. Model and schedule as htnet_3db.py. Deviations and options:
# docs/methods/htnet.md (dlib crop points: composite_3db_dlib.py as base).
_base_ = [
    '../_base_/models/htnet.py',
    '../_base_/datasets/composite_3db.py',
    '../_base_/schedules/htnet_adam_800e.py',
]
