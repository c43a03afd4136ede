"""Grad-CAM heat maps for any mmmer classifier.

Grad-CAM (Selvaraju et al., ICCV 2017, Eq. 1-2): for a class score ``y_c``
and the activations ``A`` of a chosen layer, the channel weights are the
spatially averaged gradients ``alpha_k = mean_{ij} d y_c / d A_k[i, j]`` and
the map is ``ReLU(sum_k alpha_k A_k)``, upsampled to the input size. It is the
visualisation of the EDMDBN paper (Ma et al., "Entire-detail motion
dual-branch network for micro-expression recognition", Fig. 6), used there to show which facial regions
drive a prediction.

Layer outputs of several layouts are handled, so the same code serves every
backbone: ``(B, C, H, W)`` feature maps, ``(B, C, T, H, W)`` video features
(weights averaged over T, H, W; the map averaged over T) and ``(B, N, C)``
token sequences with a square number of tokens (optionally after one class
token), which are reshaped to ``(B, C, sqrt N, sqrt N)``.
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def _tokens_side(n: int) -> Optional[Tuple[int, int]]:
    """(skip, side) if ``n`` (or ``n - 1`` after a class token) is square."""
    for skip in (0, 1):
        side = math.isqrt(n - skip)
        if side > 1 and side * side == n - skip:
            return skip, side
    return None


def to_spatial(t: torch.Tensor, layout: str = 'auto') -> torch.Tensor:
    """Bring a layer output to ``(B, C, T, H, W)`` (T = 1 for images).

    ``layout``: ``'auto'`` (4D -> NCHW, 5D -> NCTHW, 3D -> tokens),
    ``'nchw'``, ``'nhwc'`` (channels-last maps, as in Swin stages),
    ``'ncthw'`` or ``'tokens'``.
    """
    if layout == 'auto':
        layout = {4: 'nchw', 5: 'ncthw', 3: 'tokens'}.get(t.ndim)
        if layout is None:
            raise ValueError(f'cannot use a {t.ndim}-D layer output {tuple(t.shape)} '
                             'for Grad-CAM; choose a layer with a spatial output.')
    if layout == 'nchw':
        return t.unsqueeze(2)
    if layout == 'nhwc':
        return t.permute(0, 3, 1, 2).unsqueeze(2)
    if layout == 'ncthw':
        return t
    if layout == 'tokens':
        found = _tokens_side(t.shape[1])
        if found is None:
            raise ValueError(f'{t.shape[1]} tokens are not a square grid '
                             '(with or without one class token).')
        skip, side = found
        t = t[:, skip:]
        return t.transpose(1, 2).reshape(t.shape[0], t.shape[2], 1, side, side)
    raise ValueError(f'unknown layout {layout!r}')


def _is_spatial(out) -> bool:
    if not isinstance(out, torch.Tensor) or not out.is_floating_point():
        return False
    if out.ndim == 4:
        return out.shape[2] * out.shape[3] > 1
    if out.ndim == 5:
        return out.shape[3] * out.shape[4] > 1
    if out.ndim == 3:
        return _tokens_side(out.shape[1]) is not None
    return False


def _call_logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    try:
        return model(inputs, mode='tensor')
    except TypeError:
        return model(inputs)


def spatial_layers(model: nn.Module, inputs: torch.Tensor,
                   root: Optional[str] = None) -> List[str]:
    """Names of the modules with a spatial output, in execution order.

    ``root`` restricts the search to a sub-module (default: ``backbone`` when
    the model has one, since heads end in pooled vectors).
    """
    if root is None:
        root = 'backbone' if hasattr(model, 'backbone') else ''
    order, handles = [], []
    for name, mod in model.named_modules():
        if name == '' or not (name == root or name.startswith(root + '.')
                              or root == ''):
            continue

        def hook(m, i, o, name=name):
            if _is_spatial(o) and name not in order:
                order.append(name)
        handles.append(mod.register_forward_hook(hook))
    try:
        with torch.no_grad():
            _call_logits(model, inputs)
    finally:
        for h in handles:
            h.remove()
    return order


class GradCAM:
    """Grad-CAM on the output of one named layer.

    Args:
        model: an MEClassifier (called with ``mode='tensor'``) or any module
            mapping inputs to logits.
        layer: a name from ``model.named_modules()``; ``None`` picks the last
            module of the backbone with a spatial output.
        layout: see :func:`to_spatial`.
    """

    def __init__(self, model: nn.Module, layer: Optional[str] = None,
                 layout: str = 'auto'):
        self.model = model
        self.layer = layer
        self.layout = layout

    def _resolve(self, inputs) -> nn.Module:
        modules = dict(self.model.named_modules())
        if self.layer is None:
            candidates = spatial_layers(self.model, inputs)
            if not candidates:
                raise ValueError('no layer with a spatial output found; give '
                                 '--layer explicitly.')
            self.layer = candidates[-1]
        if self.layer not in modules:
            near = [n for n in modules if n and self.layer.split('.')[-1] in n]
            raise KeyError(f'layer "{self.layer}" is not a module of the model; '
                           f'similar names: {near[:10]}')
        return modules[self.layer]

    def __call__(self, inputs: torch.Tensor, target_class=None) -> dict:
        """Compute the maps for a batch.

        Args:
            inputs: the preprocessed batch (B, C, H, W) or (B, C, T, H, W).
            target_class: int, a (B,) tensor, or None for the predicted class.

        Returns:
            dict with ``cam`` (B, H_in, W_in) in [0, 1] (each map divided by its
            maximum), ``raw_cam`` (B, h, w) before upsampling/normalisation,
            ``logits``, ``target`` (B,) and ``layer``.
        """
        module = self._resolve(inputs)
        store = {}

        def fwd_hook(m, i, out):
            act = out[0] if isinstance(out, (tuple, list)) else out
            store['act'] = act
            if act.requires_grad:
                act.register_hook(lambda g: store.__setitem__('grad', g))

        handle = module.register_forward_hook(fwd_hook)
        was_training = self.model.training
        self.model.eval()
        try:
            # A leaf that needs grad guarantees a graph through frozen layers.
            x = inputs.detach().clone().requires_grad_(True)
            with torch.enable_grad():
                logits = _call_logits(self.model, x)
                if target_class is None:
                    target = logits.argmax(dim=1)
                elif isinstance(target_class, int):
                    target = torch.full((logits.shape[0], ), target_class,
                                        dtype=torch.long, device=logits.device)
                else:
                    target = torch.as_tensor(target_class, device=logits.device)
                if int(target.max()) >= logits.shape[1] or int(target.min()) < 0:
                    raise ValueError(f'target class {target.tolist()} outside '
                                     f'0..{logits.shape[1] - 1}')
                score = logits.gather(1, target.view(-1, 1)).sum()
                self.model.zero_grad(set_to_none=True)
                score.backward()
        finally:
            handle.remove()
            self.model.train(was_training)
        if 'act' not in store:
            raise RuntimeError(f'layer {self.layer} did not run in forward.')
        if 'grad' not in store:
            raise RuntimeError(f'layer {self.layer} output does not reach the '
                               'class score (no gradient).')
        act = to_spatial(store['act'].detach(), self.layout)
        grad = to_spatial(store['grad'].detach(), self.layout)
        weights = grad.mean(dim=(2, 3, 4), keepdim=True)        # alpha_k
        raw = F.relu((weights * act).sum(dim=1)).mean(dim=1)    # (B, h, w)
        out_hw = inputs.shape[-2:]
        cam = F.interpolate(raw.unsqueeze(1), size=out_hw, mode='bilinear',
                            align_corners=False).squeeze(1)
        peak = cam.flatten(1).max(dim=1).values.clamp_min(1e-12)
        cam = cam / peak.view(-1, 1, 1)
        return dict(cam=cam, raw_cam=raw, logits=logits.detach(),
                    target=target.detach(), layer=self.layer)


def input_background(inputs: torch.Tensor):
    """An (H, W, 3) float image in [0, 1] to draw a CAM on, from one input.

    3 channels: each channel min-max scaled (a face image, or (u, v, strain)
    shown as false colour); 2 channels (u, v): flow magnitude; otherwise the
    channel mean. A video input (C, T, H, W) shows its middle frame.
    """
    import numpy as np
    x = inputs.detach().float().cpu()
    if x.ndim == 4:
        x = x[:, x.shape[1] // 2]
    if x.ndim != 3:
        raise ValueError(f'expected (C, H, W) or (C, T, H, W), got {tuple(x.shape)}')

    def scale(a):
        lo, hi = a.min(), a.max()
        return (a - lo) / (hi - lo) if hi > lo else torch.zeros_like(a)

    if x.shape[0] == 3:
        img = torch.stack([scale(c) for c in x], dim=-1)
    else:
        g = x.norm(dim=0) if x.shape[0] == 2 else x.mean(dim=0)
        img = scale(g).unsqueeze(-1).repeat(1, 1, 3)
    return np.asarray(img)


def plot_gradcam(background, cam, out_file: str, title: Optional[str] = None,
                 alpha: float = 0.5, dpi: int = 120):
    """Input | heat map | overlay, saved as one PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mmmer.visualization.confusion_matrix import save_figure_atomic
    cam = cam.detach().cpu().numpy() if isinstance(cam, torch.Tensor) else cam
    fig = Figure(figsize=(9, 3.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    axes[0].imshow(background)
    axes[0].set_title('input')
    im = axes[1].imshow(cam, cmap='jet', vmin=0, vmax=1)
    axes[1].set_title('Grad-CAM')
    fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.04)
    axes[2].imshow(background)
    axes[2].imshow(cam, cmap='jet', alpha=alpha, vmin=0, vmax=1)
    axes[2].set_title('overlay')
    for ax in axes:
        ax.axis('off')
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save_figure_atomic(fig, out_file, dpi=dpi)
    return fig
