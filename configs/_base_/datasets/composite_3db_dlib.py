# The raw-frame MEGC2019 composite (composite_3db.py) with the facial-region
# crop points from dlib's 68 landmarks on the aligned apex face instead of
# HTNet's official MTCNN rule. Swap this base in for composite_3db.py.
_base_ = './composite_3db.py'

preprocess = dict(pipeline=_base_.htnet_flow_pipeline_dlib)
train_dataloader = dict(dataset=dict(preprocess=preprocess))
test_dataloader = dict(dataset=dict(preprocess=preprocess))
