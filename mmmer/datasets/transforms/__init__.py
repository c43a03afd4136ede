from .formatting import PackMEInputs  # noqa: F401
from .loading import LoadCachedArrays  # noqa: F401
from .loading_frames import LoadKeyFrames  # noqa: F401
from .alignment import AlignCropFace, DetectFaceLandmarks  # noqa: F401
from .motion import OpticalStrain, ResizeMotion, StackMotion, TVL1Flow  # noqa: F401
from .regions import AHMSARegions, FacialRegionTiles  # noqa: F401
from .htnet_points import HTNetOfficialPoints  # noqa: F401
from .flow_image import LoadApexFace, LoadFlowImage  # noqa: F401
from .shufflenet_preprocessing import (ExpansionFlip, FlowToImage,  # noqa: F401
                                       GrayToThreeChannels, MaskRegions)
from .temporal import EntireDetailMotion, StackFrames, TemporalInterpolation  # noqa: F401
from .clip_augmentation import ClipRandomCrop, ClipRandomFlip, ClipRandomRotation, ClipResize  # noqa: F401
from .openface_alignment import LandmarkFaceCrop, OpenFaceAlignment  # noqa: F401
