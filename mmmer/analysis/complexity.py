"""Parameter and compute counts of a model built from an mmmer config.

Two counters, reported under their own names, because the libraries count
differently (one multiply-add is 2 FLOPs for torch's counter and 1 "flop" for
mmengine's fvcore-style analyzer), and each misses the fused attention kernel
in its own way:

* **FLOPs** come from :class:`torch.utils.flop_counter.FlopCounterMode`, which
  counts one multiply-add as 2 FLOPs for matmul/conv/attention ops. On CPU it
  skips the fused ``scaled_dot_product_attention`` kernel, so the count runs
  inside ``sdpa_kernel(SDPBackend.MATH)``, where SDPA decomposes into counted
  matmuls. We report ``MACs = FLOPs / 2``.
* The **per-module table** comes from ``mmengine.analysis.FlopAnalyzer``
  (fvcore convention: one MAC per multiply-add, norms and some element-wise
  ops included). It does not know ``aten::scaled_dot_product_attention``;
  :func:`sdpa_mac_jit` adds it as ``B*H*N*M*(d_qk + d_v)`` MACs
  (``Q K^T`` costs ``N*M*d_qk``, ``softmax(.) V`` costs ``N*M*d_v``).
"""
import math
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

DEFAULT_INPUT_SHAPE = (3, 28, 28)


class TensorForward(nn.Module):
    """Expose ``model(inputs, mode='tensor')`` as a plain ``forward(x)``.

    Counters and tracers call ``module(x)``; an MMEngine model needs the mode
    argument, and its ``data_preprocessor`` is deliberately left out (the
    numbers are those of the network on an already-packed input).
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        try:
            return self.model(x, mode='tensor')
        except TypeError:
            return self.model(x)


def count_parameters(model: nn.Module) -> Tuple[int, int]:
    """Return ``(total, trainable)`` parameter counts (shared tensors once)."""
    seen, total, trainable = set(), 0, 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        if p.requires_grad:
            trainable += p.numel()
    return total, trainable


def _sdpa_shapes(inputs):
    from mmengine.analysis.jit_handles import get_shape
    q, k, v = (get_shape(inputs[i]) for i in range(3))
    if q is None or k is None or v is None:
        raise ValueError('scaled_dot_product_attention with unknown input shapes '
                         'cannot be counted; trace with concrete tensors.')
    return q, k, v


def sdpa_macs(q_shape: Sequence[int], k_shape: Sequence[int],
              v_shape: Sequence[int]) -> int:
    """MACs of ``softmax(Q K^T / sqrt(d)) V`` from the q/k/v shapes.

    ``q: (*batch, N, d_qk)``, ``k: (*batch, M, d_qk)``, ``v: (*batch, M, d_v)``
    give ``prod(batch) * N * M * (d_qk + d_v)``; the batch dims are B and H.
    """
    *batch, n, d_qk = q_shape
    m = k_shape[-2]
    d_v = v_shape[-1]
    return int(math.prod(batch)) * n * m * (d_qk + d_v)


def sdpa_mac_jit(inputs, outputs) -> int:
    """mmengine ``FlopAnalyzer`` handle for ``aten::scaled_dot_product_attention``."""
    return sdpa_macs(*_sdpa_shapes(inputs))


def count_flops(model: nn.Module, inputs: torch.Tensor) -> int:
    """Forward FLOPs (= 2 x MACs) with attention included, via FlopCounterMode."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), counter:
        model(inputs)
    return int(counter.get_total_flops())


def mmengine_flop_analyzer(model: nn.Module, inputs: torch.Tensor):
    """mmengine's FlopAnalyzer (MACs) with the SDPA handle registered."""
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(model, (inputs, ))
    analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_mac_jit)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def per_module_table(model: nn.Module, inputs: torch.Tensor,
                     max_depth: int = 3) -> Tuple[str, int]:
    """Return mmengine's per-module table (MACs) and its total MACs."""
    from mmengine.analysis.print_helper import complexity_stats_table
    analyzer = mmengine_flop_analyzer(model, inputs)
    table = complexity_stats_table(analyzer, max_depth=max_depth,
                                   show_param_shapes=False)
    # mmengine labels its column '#flops' though it counts MACs.
    note = ('per-module breakdown (mmengine.analysis; its "#flops" column '
            'counts MACs, norms included)')
    return f'{note}\n{table}', int(analyzer.total())


def input_shape_of(cfg, override: Optional[Sequence[int]] = None
                   ) -> Tuple[int, ...]:
    """Input shape (without batch) of a config: ``--shape``, else the config's
    top-level ``input_shape`` ((C, H, W) or (C, T, H, W)), else (3, 28, 28)."""
    shape = override if override else cfg.get('input_shape', None)
    if shape is None:
        shape = DEFAULT_INPUT_SHAPE
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (3, 4) or min(shape) <= 0:
        raise ValueError(f'input_shape must be (C, H, W) or (C, T, H, W) with '
                         f'positive sizes, got {shape}.')
    return shape


def build_model_from_cfg(cfg):
    """Build ``cfg.model`` in the mmmer scope (custom_imports already done by
    ``Config.fromfile``)."""
    from mmmer.registry import MODELS
    from mmmer.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    if 'model' not in cfg:
        raise KeyError(f'{getattr(cfg, "filename", "config")} has no `model`.')
    return MODELS.build(cfg.model)


def model_complexity(model: nn.Module, input_shape: Sequence[int],
                     with_table: bool = True, max_depth: int = 3) -> dict:
    """Params, MACs and FLOPs of ``model`` on one input of ``input_shape``.

    Returns a dict with ``params``, ``trainable_params``, ``flops`` (int,
    FlopCounterMode), ``macs`` (= flops / 2) and, if ``with_table``,
    ``table`` / ``mmengine_macs`` from mmengine's analyzer.
    """
    model = model.eval()
    wrapped = TensorForward(model)
    device = next(model.parameters()).device if any(
        True for _ in model.parameters()) else torch.device('cpu')
    x = torch.randn(1, *input_shape, device=device)
    total, trainable = count_parameters(model)
    flops = count_flops(wrapped, x)
    result = dict(params=total, trainable_params=trainable, flops=flops,
                  macs=flops / 2, input_shape=tuple(input_shape))
    if with_table:
        table, mm_macs = per_module_table(wrapped, x, max_depth=max_depth)
        result.update(table=table, mmengine_macs=mm_macs)
    return result


def config_complexity(config: str, shape: Optional[Sequence[int]] = None,
                      cfg_options: Optional[dict] = None, with_table=True):
    """:func:`model_complexity` of the model a config file builds."""
    from mmengine.config import Config
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} does not exist')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = build_model_from_cfg(cfg)
    return model_complexity(model, input_shape_of(cfg, shape),
                            with_table=with_table)
