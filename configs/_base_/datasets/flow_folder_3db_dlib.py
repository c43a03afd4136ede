# HTNet's 3DB flow-image layout with the crop points from dlib's 68 landmarks
# on the 224x224 apex face (eye centres, nose tip, mouth corners) instead of
# the official MTCNN rule of flow_folder_3db.py. Swap this base in for
# '../_base_/datasets/flow_folder_3db.py' in any HTNet-family 3DB config.
# On the real 3DB these points differ from the official ones by a median of
# about 4 px (docs/methods/htnet.md).
_base_ = './flow_folder_3db.py'

preprocess = dict(pipeline=_base_.flow_tiles_pipeline_dlib)
train_dataloader = dict(dataset=dict(preprocess=preprocess))
test_dataloader = dict(dataset=dict(preprocess=preprocess))
