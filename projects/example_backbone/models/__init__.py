from .tiny_net import TinyNet  # noqa: F401
