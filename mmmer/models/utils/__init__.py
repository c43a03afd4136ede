from .esaat import feature_entropy, greedy_attention_removal  # noqa: F401
