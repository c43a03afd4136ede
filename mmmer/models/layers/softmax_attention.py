"""Multi-head scaled dot-product (softmax) attention on token windows.

Token convention shared by mmmer's attention layers (``SoftmaxAttention``,
``AgentAttention``): ``forward(x, hw)`` takes channels-last tokens
``x`` of shape ``(B, N, C)`` where every batch row is one attention window
whose ``N = h * w`` tokens are laid out row-major on an ``hw = (h, w)`` grid
(needed by layers with spatial parts such as Agent Attention's pooling and
depthwise conv), and returns ``(B, N, C)``. Window partitioning (HTNet's
blocks folded into the batch) is the backbone's job.

The 1x1 convolutions of HTNet (``to_qkv``, ``to_out``) are stored as
``nn.Linear`` layers on channels-last tokens: a 1x1 conv is exactly a linear
map over channels (same parameter count, same default init distribution), and
one GEMM on ``(B*N, C)`` is faster on CPU than a convolution on NCHW maps.

Inference on one-token windows (HTNet's official configuration) composes the
value and output projections into one ``(C, C)`` map, ``W_o W_v``, built on
the second call with unchanged weights and cached (:class:`InferenceCache`):
a clip then reads one ``C x C`` matrix per attention instead of two. The
cache exists only in eval mode under ``torch.no_grad()``. It is keyed on the
storage and version counter of every parameter it is built from, which
optimizer steps, ``load_state_dict`` and other in-place updates bump, and
every ``train()``/``eval()`` call drops it. Writes through ``.data`` bypass
version counters (MMEngine's EMA swap does that, and its loops call
``model.eval()`` right after); after such writes of your own, call
``model.eval()`` again.
"""
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmmer.registry import MODELS


def check_tokens(x: torch.Tensor, hw: Optional[Sequence[int]], owner: str
                 ) -> Tuple[int, int]:
    """Validate ``(B, N, C)`` tokens against their grid and return ``(h, w)``."""
    if x.dim() != 3:
        raise ValueError(f'{owner}: expected tokens (B, N, C), got shape {tuple(x.shape)}')
    n = x.shape[1]
    if hw is None:
        return n, 1
    h, w = int(hw[0]), int(hw[1])
    if h * w != n:
        raise ValueError(f'{owner}: token grid hw={tuple(hw)} holds {h * w} tokens '
                         f'but the input has N={n}')
    return h, w


class InferenceCache:
    """A value derived from parameters, invalid as soon as any source
    parameter's storage, version counter, dtype or device changes.

    It is built on the ``min_uses``-th consecutive call with unchanged
    sources (``get`` returns None before): composing costs about as much as
    a few hundred one-clip forwards save, so weights that change between
    evaluations (e.g. one test pass per training epoch) never pay for it.
    """

    def __init__(self, min_uses: int = 2):
        self.min_uses = min_uses
        self.clear()

    def get(self, sources: Sequence[Optional[torch.Tensor]],
            build: Callable[[], object]):
        key = tuple(None if t is None else
                    (t.data_ptr(), t._version, t.dtype, t.device, tuple(t.shape))
                    for t in sources)
        if key != self.key:
            self.key, self.value, self.uses = key, None, 0
        self.uses += 1
        if self.value is None and self.uses >= self.min_uses:
            self.value = build()
        return self.value

    def clear(self):
        self.key = None
        self.value = None
        self.uses = 0


def inference_mode_active(module: nn.Module) -> bool:
    """True in eval mode without autograd: when cached derived weights may be used."""
    return not module.training and not torch.is_grad_enabled()


@MODELS.register_module()
class SoftmaxAttention(nn.Module):
    """Multi-head self-attention as HTNet's official code builds it.

    ``out = W_o concat_h softmax(Q_h K_h^T * d^-0.5) V_h + b_o`` with one bias-free
    projection to Q, K, V (``dim -> 3 * heads * dim_head``) and a biased
    output projection.

    Args:
        dim (int): token channels C.
        num_heads (int): heads h.
        dim_head (int, optional): channels per head. Default ``dim // num_heads``
            (HTNet: 256 // 3 = 85, so inner = 255, not 256).
        window_size (tuple, optional): accepted for interface compatibility with
            layers that need it (Agent Attention); unused here.
        qkv_bias (bool): bias of the QKV projection. Default False (HTNet).
        out_bias (bool): bias of the output projection. Default True.
        fast_single_token (bool): when a window holds one token, the softmax
            over a single key is exactly 1, so the output is ``W_o V + b_o``;
            skip Q, K and the softmax then. Q/K weights still exist (same
            parameters and checkpoints) and would get exactly zero gradient on
            the full path anyway (softmax of one logit has zero derivative).
            HTNet's official configuration has one-token windows at every level.
            In eval mode under ``torch.no_grad()`` the two projections are
            composed once into ``W_o W_v`` (see the module docstring).
    """

    def __init__(self, dim: int, num_heads: int, dim_head: Optional[int] = None,
                 window_size: Optional[Sequence[int]] = None,
                 qkv_bias: bool = False, out_bias: bool = True,
                 fast_single_token: bool = True):
        super().__init__()
        if dim_head is None:
            dim_head = dim // num_heads
        if dim_head < 1:
            raise ValueError(f'SoftmaxAttention: dim={dim} with num_heads={num_heads} '
                             'leaves no channels per head')
        self.dim = dim
        self.num_heads = num_heads
        self.dim_head = dim_head
        self.inner_dim = dim_head * num_heads
        self.scale = dim_head ** -0.5
        self.window_size = tuple(window_size) if window_size is not None else None
        self.fast_single_token = fast_single_token
        self.qkv = nn.Linear(dim, 3 * self.inner_dim, bias=qkv_bias)
        self.proj = nn.Linear(self.inner_dim, dim, bias=out_bias)
        self._single_token_cache = InferenceCache()

    def train(self, mode: bool = True):
        self._single_token_cache.clear()
        return super().train(mode)

    def single_token_sources(self) -> Tuple[Optional[torch.Tensor], ...]:
        """Parameters the one-token map is built from (the cache key)."""
        return (self.qkv.weight, self.qkv.bias, self.proj.weight, self.proj.bias)

    def single_token_map(self) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``(W, b)`` with ``attention(x) == x @ W.T + b`` on one-token windows:
        ``W = W_o W_v``, ``b = W_o b_v + b_o``."""
        lo = 2 * self.inner_dim
        weight = self.proj.weight @ self.qkv.weight[lo:]
        bias = self.proj.bias
        if self.qkv.bias is not None:
            vb = self.proj.weight @ self.qkv.bias[lo:]
            bias = vb if bias is None else bias + vb
        return weight, bias

    def folded_single_token(self, x: torch.Tensor) -> Optional[torch.Tensor]:
        """One-token attention through the cached composed map
        (:meth:`single_token_map`) in eval/no-grad inference, else None."""
        if inference_mode_active(self):
            composed = self._single_token_cache.get(
                self.single_token_sources(), self.single_token_map)
            if composed is not None:
                return F.linear(x, *composed)
        return None

    def single_token(self, x: torch.Tensor) -> torch.Tensor:
        """Attention of one-token windows (softmax over one key is 1)."""
        folded = self.folded_single_token(x)
        if folded is not None:
            return folded
        return self.proj(self.value(x))

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """V projection alone (the last third of the QKV weight, a view)."""
        lo = 2 * self.inner_dim
        bias = self.qkv.bias[lo:] if self.qkv.bias is not None else None
        return F.linear(x, self.qkv.weight[lo:], bias)

    def split_heads(self, x: torch.Tensor):
        """(B, N, C) -> q, k, v each (B, heads, N, dim_head); Q|K|V channel blocks."""
        b, n, _ = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.num_heads, self.dim_head)
        return qkv.permute(2, 0, 3, 1, 4).unbind(0)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        b, _, n, _ = x.shape
        return x.transpose(1, 2).reshape(b, n, self.inner_dim)

    def forward(self, x: torch.Tensor, hw: Optional[Sequence[int]] = None) -> torch.Tensor:
        check_tokens(x, hw, type(self).__name__)
        if x.shape[1] == 1 and self.fast_single_token:
            return self.single_token(x)
        q, k, v = self.split_heads(x)
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.proj(self.merge_heads(out))

    def extra_repr(self) -> str:
        return (f'dim={self.dim}, num_heads={self.num_heads}, dim_head={self.dim_head}, '
                f'fast_single_token={self.fast_single_token}')
