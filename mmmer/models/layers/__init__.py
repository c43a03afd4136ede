from .agent_attention import AgentAttention  # noqa: F401
from .channel_layer_norm import ChannelLayerNorm  # noqa: F401
from .position_embedding import LearnableAbsolutePositionEmbedding  # noqa: F401
from .softmax_attention import SoftmaxAttention  # noqa: F401
from .token_attention import AccumulatedTokenAttention  # noqa: F401
from .ghost_module import GhostModule  # noqa: F401
