"""The clip picture: what preprocessing did and what the model decided.

One PNG per clip with the panels :data:`PANELS`: the aligned apex face with
its landmarks, the onset->apex optical flow as a colour-wheel image (hue =
direction, brightness = magnitude, the usual Middlebury-style coding), the
optical strain, the exact model input, the class scores as a bar chart and a
Grad-CAM overlay (Selvaraju et al., ICCV 2017; :mod:`mmmer.analysis.gradcam`)
where the model has a spatial layer. A face-detection fallback is written in
red in the title.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = ['PANELS', 'flow_to_color', 'face_panel_data', 'draw_clip_panel',
           'compute_gradcam', 'channels_first_layer', 'stage_images']

PANELS = ('aligned face + landmarks', 'optical flow (colour wheel)', 'optical strain',
          'model input', 'class scores', 'Grad-CAM')


def flow_to_color(flow: np.ndarray, max_magnitude: Optional[float] = None) -> np.ndarray:
    """HxWx2 flow -> HxWx3 uint8 RGB: hue = direction, value = magnitude.

    ``max_magnitude`` maps to full brightness (default: the 99th percentile
    of the magnitudes, so one outlier does not darken the picture).
    """
    import cv2
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'flow_to_color expects HxWx2 flow, got {flow.shape}')
    mag, ang = cv2.cartToPolar(flow[..., 0], flow[..., 1], angleInDegrees=True)
    top = float(max_magnitude) if max_magnitude else float(np.percentile(mag, 99))
    hsv = np.zeros(flow.shape[:2] + (3, ), np.uint8)
    hsv[..., 0] = (ang / 2).astype(np.uint8)  # OpenCV hue is 0..179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(mag / max(top, 1e-6) * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _first(stages, key):
    """The value of ``key`` right after the step that first produced it."""
    for _, snap in stages:
        if key in snap:
            return snap[key]
    return None


def _apex_index(pre: dict) -> int:
    ids, apex = pre.get('frame_ids'), pre.get('apex')
    if pre.get('frame_keys') is not None and 'apex' in list(pre['frame_keys']):
        return list(pre['frame_keys']).index('apex')
    if ids is not None and apex is not None:
        for i, n in enumerate(ids):
            if int(n) == int(apex):
                return i
    return -1


def face_panel_data(stages, pre: dict) -> Tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """(aligned apex face RGB, landmarks in its pixels), or Nones."""
    frames = pre.get('frames')
    if frames is None:
        return None, None
    face = np.asarray(frames[_apex_index(pre)])
    pts = pre.get('landmarks')
    if pts is not None and tuple(pre.get('landmarks_shape', face.shape[:2])) == face.shape[:2]:
        return face, np.asarray(pts)
    if pre.get('five_points') is not None:
        scale = np.array(face.shape[1::-1], float) / np.array(
            pre.get('five_points_shape', face.shape[:2])[::-1], float)
        return face, np.asarray(pre['five_points']) * scale
    return face, None


def compute_gradcam(model, inputs) -> Tuple[Optional[np.ndarray], str]:
    """Grad-CAM of the predicted class on one input, or ``(None, reason)``."""
    import torch

    from mmmer.analysis.gradcam import GradCAM
    try:
        batch = model.data_preprocessor(dict(inputs=[inputs], data_samples=None))['inputs']
        layer = channels_first_layer(model, batch)
        if layer is None:
            return None, 'not available: no channels-first spatial layer'
        out = GradCAM(model, layer=layer)(batch)
        return out['cam'][0].cpu().numpy(), out['layer']
    except (ValueError, RuntimeError, KeyError, TypeError, torch.OutOfMemoryError) as e:
        return None, f'not available for this model ({e})'


def channels_first_layer(model, batch) -> Optional[str]:
    """The last backbone layer whose output reads as a channels-first map.

    Some backbones (HTNet's hierarchies, Swin stages) emit channels-last
    ``(B, H, W, C)`` maps, which Grad-CAM's automatic layer choice would read
    as ``(B, C, H, W)``; a layer is kept only if its channel axis (dim 1) is
    at least as long as its last axis, or it is a token sequence.
    """
    import torch

    from mmmer.analysis.gradcam import spatial_layers
    names = spatial_layers(model, batch)
    modules = dict(model.named_modules())
    shapes, handles = {}, []

    def hook(module, args, out, name):
        shapes.setdefault(name, tuple((out[0] if isinstance(out, (tuple, list))
                                       else out).shape))  # returns None: output kept
    for n in names:
        handles.append(modules[n].register_forward_hook(
            lambda m, i, o, n=n: hook(m, i, o, n)))
    try:
        with torch.no_grad():
            model(batch, mode='tensor')
    finally:
        for h in handles:
            h.remove()
    good = [n for n in names if n in shapes and
            (len(shapes[n]) == 3 or shapes[n][1] >= shapes[n][-1])]
    return good[-1] if good else None


def _text_axis(ax, title, text):
    ax.set_title(title, fontsize=9)
    ax.text(0.5, 0.5, text, ha='center', va='center', wrap=True, fontsize=8,
            transform=ax.transAxes)
    ax.axis('off')


def draw_clip_panel(out_file: str, stages, pre: dict, inputs, data_sample,
                    cam: Optional[np.ndarray] = None, cam_note: str = '',
                    title: str = '', dpi: int = 80) -> Dict:
    """Draw the six panels of one clip into ``out_file`` (PNG, atomic).

    Returns ``dict(panels=[...], size=(width, height) in pixels, file=...)``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mmmer.analysis.gradcam import input_background
    from mmmer.visualization.confusion_matrix import save_figure_atomic

    fig = Figure(figsize=(12, 7.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3).ravel()
    fallback = bool(data_sample.metainfo.get('face_fallback', False))

    face, pts = face_panel_data(stages, pre)
    if face is not None:
        axes[0].imshow(face.astype(np.uint8) if face.dtype != np.uint8 else face)
        if pts is not None:
            guessed = data_sample.metainfo.get('fallback_step') == 'DetectFaceLandmarks'
            axes[0].scatter(pts[:, 0], pts[:, 1], s=6, c='red' if guessed else 'lime')
        axes[0].set_title(PANELS[0] + ('\nFALLBACK (see title)' if fallback else ''),
                          fontsize=9, color='red' if fallback else 'black')
        axes[0].axis('off')
    else:
        _text_axis(axes[0], PANELS[0], 'the input is a precomputed flow image')

    flow = _first(stages, 'flow')
    if flow is not None:
        axes[1].imshow(flow_to_color(flow))
        mag = np.linalg.norm(flow, axis=2)
        axes[1].set_title(f'{PANELS[1]}\nmax |flow| {mag.max():.2f} px', fontsize=9)
        axes[1].axis('off')
    else:
        _text_axis(axes[1], PANELS[1], 'this method computes no optical flow\n'
                   '(its input is shown at "model input")')
    strain = _first(stages, 'strain')
    if strain is not None:
        im = axes[2].imshow(strain, cmap='magma')
        fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
        axes[2].set_title(PANELS[2], fontsize=9)
        axes[2].axis('off')
    else:
        _text_axis(axes[2], PANELS[2], 'this method computes no optical strain')

    background = input_background(inputs)
    axes[3].imshow(background)
    axes[3].set_title(f'{PANELS[3]} {tuple(inputs.shape)}', fontsize=9)
    axes[3].axis('off')

    classes = list(data_sample.metainfo.get('classes', ()))
    scores = data_sample.pred_score.detach().cpu().numpy().ravel()
    names = classes if len(classes) == len(scores) else [str(i) for i in range(len(scores))]
    label = int(data_sample.pred_label.reshape(-1)[0])
    colors = ['tab:orange' if i == label else 'tab:blue' for i in range(len(scores))]
    axes[4].barh(names, scores, color=colors)
    axes[4].invert_yaxis()
    axes[4].set_title(PANELS[4], fontsize=9)
    for i, s in enumerate(scores):
        axes[4].text(s, i, f' {s:.3f}', va='center', fontsize=8)

    if cam is not None:
        axes[5].imshow(background)
        axes[5].imshow(cam, cmap='jet', alpha=0.5, vmin=0, vmax=1)
        axes[5].set_title(f'{PANELS[5]} ({cam_note})', fontsize=8)
        axes[5].axis('off')
    else:
        _text_axis(axes[5], PANELS[5], cam_note or 'not computed')

    pred = data_sample.metainfo.get('pred_class', str(label))
    head = f'{title}  prediction: {pred}'
    if fallback:
        step = data_sample.metainfo.get('fallback_step') or 'face detection'
        head += f'\n[FACE-DETECTION FALLBACK in {step}: no face found, fallback points used]'
    fig.suptitle(head, fontsize=11, color='red' if fallback else 'black')
    fig.tight_layout()
    save_figure_atomic(fig, out_file, dpi=dpi)
    width, height = (int(round(v * dpi)) for v in fig.get_size_inches())
    return dict(panels=list(PANELS), size=(width, height), file=out_file,
                face_fallback=fallback, title=head)


def stage_images(name: str, snap: dict) -> List[Tuple[str, np.ndarray]]:
    """Displayable images of one stage snapshot (for the dataset browser)."""
    out = []
    frames = snap.get('frames')
    if frames:
        for i, f in enumerate(frames[:3]):
            out.append((f'frame {i}', _as_display(f)))
    if snap.get('flow') is not None:
        out.append(('flow', flow_to_color(snap['flow'])))
    if snap.get('strain') is not None:
        out.append(('strain', _as_display(snap['strain'])))
    img = snap.get('img')
    if img is not None:
        img = np.asarray(img)
        if img.ndim == 4:  # a clip (T, H, W, C)
            out.append((f'img t=0 of {img.shape[0]}', _as_display(img[0])))
            out.append((f'img t={img.shape[0] - 1}', _as_display(img[-1])))
        else:
            out.append((f'img {tuple(img.shape)}', _as_display(img)))
    return out


def _as_display(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3:
        return a
    a = a.astype(np.float32)
    if a.ndim == 3 and a.shape[2] == 2:
        return flow_to_color(a)
    if a.ndim == 3 and a.shape[2] not in (1, 3):
        a = a[..., :3]
    lo, hi = float(a.min()), float(a.max())
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)

