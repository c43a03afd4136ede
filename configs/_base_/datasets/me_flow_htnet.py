# HTNet input for the micro-expression dataset bases: onset->apex TV-L1 flow
# on the aligned 224x224 face, optical strain, resized to 28x28, each plane
# then min-max scaled to 0..255 (so every plane spans exactly 0..255, as in
# HTNet's published inputs), then the four facial-region crops tiled
# (docs/methods/htnet.md). Run once per sample and cached.
# Landmarks come from the APEX frame, as in HTNet and AHMSA-Net: dlib on the
# apex aligns both key frames (one similarity transform, so the flow stays
# registered), and the crop points follow HTNet's official rule on the
# aligned apex face (HTNetOfficialPoints: MTCNN at 28x28 in BGR, constant
# points without a face; weights: `python tools/install_mtcnn_weights.py`).
# htnet_flow_pipeline_dlib takes the crop points from the dlib landmarks
# instead (composite_3db_dlib.py uses it). docs/methods/htnet.md.
#
# A dataset base inheriting this (the FACS-sheet ones through
# ./me_sheet_loaders.py) sets dataset_type, data_root and
# `preprocess = dict(cache_dir=data_root + '/.mmmer_cache')` (the cache lives
# with the data; a value computed here could not follow the child's
# data_root), and passes `preprocess=preprocess` in its dataset dict, which
# merges into the loaders below.
_base_ = './me_cached_loaders.py'

htnet_flow_pipeline = [
    dict(type='LoadKeyFrames', keys=('onset', 'apex')),
    dict(type='DetectFaceLandmarks', frame_index='apex', on_failure='center_fallback'),
    dict(type='AlignCropFace', size=224),
    dict(type='HTNetOfficialPoints', frame_index='apex'),
    dict(type='TVL1Flow'),
    dict(type='OpticalStrain'),
    dict(type='ResizeMotion', size=28, keys=('flow', 'strain')),
    dict(type='StackMotion', normalize='minmax255'),
    dict(type='FacialRegionTiles'),
]
htnet_flow_pipeline_dlib = [
    dict(type='LoadKeyFrames', keys=('onset', 'apex')),
    dict(type='DetectFaceLandmarks', frame_index='apex', on_failure='center_fallback'),
    dict(type='AlignCropFace', size=224),
    dict(type='TVL1Flow'),
    dict(type='OpticalStrain'),
    dict(type='ResizeMotion', size=28, keys=('flow', 'strain')),
    dict(type='StackMotion', normalize='minmax255'),
    dict(type='FacialRegionTiles'),
]
preprocess = dict(pipeline=htnet_flow_pipeline, keys=('img', ), workers=2)

train_dataloader = dict(dataset=dict(preprocess=preprocess))
test_dataloader = dict(dataset=dict(preprocess=preprocess))
