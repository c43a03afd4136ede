# MEGC2019 3DB in HTNet's precomputed layout (docs/methods/htnet.md):
# combined_3_class2_for_optical_flow.csv + one 28x28 flow PNG per sample
# ("<sub>_<filename_o> .png", planes B,G,R = strain, v, u) + the 224x224 apex
# face used to place the four facial-region crops. 442 samples, 68 subjects.
# The crops are computed once per sample and cached.
# LoadFlowImage gives mmmer's (u, v, strain) order; HTNet's own code feeds the
# file's (strain, v, u) order: set channel_order='file' to reproduce it.
# Crop points (docs/methods/htnet.md): by default the official rule,
# HTNetOfficialPoints = MTCNN (facenet-pytorch 2.6.0 weights, installed with
# `python tools/install_mtcnn_weights.py`) on the apex face shrunk to 28x28
# in BGR, HTNet's constant points where it finds no face, clamp [7, 21],
# truncate. dlib's 68 landmarks instead: the base flow_folder_3db_dlib.py
# (flow_tiles_pipeline_dlib below).
# Layout: docs/datasets.md; check with tools/analysis/check_dataset.py.
_base_ = ['./me_cached_loaders.py', './megc2019_3db_counts.py']

dataset_type = 'FlowFolderDataset'
data_root = 'data/htnet'

flow_tiles_pipeline = [
    dict(type='LoadFlowImage', channel_order='uvs'),
    dict(type='LoadApexFace'),
    dict(type='HTNetOfficialPoints', frame_index='apex'),
    dict(type='FacialRegionTiles'),
]
flow_tiles_pipeline_dlib = [
    dict(type='LoadFlowImage', channel_order='uvs'),
    dict(type='LoadApexFace'),
    dict(type='DetectFaceLandmarks', frame_index='apex', on_failure='center_fallback'),
    dict(type='FacialRegionTiles'),
]
preprocess = dict(pipeline=flow_tiles_pipeline, keys=('img', ),
                  cache_dir=data_root + '/.mmmer_cache', workers=2)

# The dataset, merged into both loaders of the base (the test loader adds
# test_mode=True).
__dataset = dict(type=dataset_type, data_root=data_root, preprocess=preprocess,
                 ann_file='combined_3_class2_for_optical_flow.csv',
                 flow_dir='datasets/STSNet_whole_norm_u_v_os',
                 face_dir='datasets/combined_datasets_whole')
train_dataloader = dict(dataset=__dataset)
test_dataloader = train_dataloader
