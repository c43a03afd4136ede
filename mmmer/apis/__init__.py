"""Use a trained model: ``init_model``, ``inference_model``, ``MERInferencer``."""
from .inference import (config_class_names, get_clip_pipeline, inference_clips,
                        inference_flow_image, inference_model, init_model,
                        resolve_checkpoint)
from .inputs import (InferenceFileError, InferenceInputError, check_key_frame_order,
                     estimate_apex, flow_magnitude_profile, folder_frames, load_frame,
                     read_video_frames)
from .inferencer import MERInferencer, prediction_dict, resolve_clip
from .pipeline import FLOW_ESTIMATOR_WARNING, ClipPipeline

__all__ = [
    'init_model', 'inference_model', 'inference_flow_image', 'inference_clips',
    'resolve_checkpoint', 'config_class_names', 'get_clip_pipeline', 'ClipPipeline',
    'FLOW_ESTIMATOR_WARNING', 'InferenceInputError', 'InferenceFileError',
    'check_key_frame_order', 'estimate_apex', 'flow_magnitude_profile', 'folder_frames',
    'load_frame', 'read_video_frames', 'MERInferencer', 'prediction_dict', 'resolve_clip'
]
