"""Optional realism for the synthetic set: what makes real MER hard.

The default synthetic clips are easy: every subject is the same face under a
similarity transform, each class always shows all of its action units at
0.6-2 px, and the head barely moves. Real micro-expression data differ on
each point, and these options (all off by default, each drawing from its own
random stream so the default dataset keeps its bytes) bring them in:

- :func:`identity_params` / :func:`apply_identity_warp` /
  :func:`apply_identity_tone`: per-subject identity, a wider pose, a smooth
  non-rigid warp of the face (a few px), a skin-tone shift and a directional
  illumination gradient;
- :func:`vary_components`: action units shared between classes (one group
  of the class dropped, one weaker group of another class borrowed);
- :func:`extra_motion`: blinks (eyelids closing and reopening at a random
  time) and a small smooth head rotation, both distractors that are in the
  ground-truth flow like the action units.

Every extra motion is a ``(profile (T,), field HxWx2)`` pair with the
profile 0 at the onset, so the onset frame is still the neutral face and the
ground truth stays exact (``D_apex`` on the onset grid).
"""
from typing import Callable, List, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['identity_params', 'apply_identity_warp', 'apply_identity_tone',
           'vary_components', 'extra_motion', 'allocate_classes', 'AU_GROUPS']

_REFERENCE_SIZE = 256.0
_UPPER_LIDS = (37, 38, 43, 44)
_LOWER_LIDS = (40, 41, 46, 47)

#: Action-unit groups of each class as index lists into the components of
#: ``renderer._au_components`` (negative: AU4 brows, AU15 corners; surprise:
#: AU1+2 brows, AU26 chin; positive: AU12 corners).
AU_GROUPS = {
    'negative': ((0, 1), (2, 3)),
    'positive': ((0, 1), ),
    'surprise': ((0, ), (1, )),
}


def allocate_classes(class_totals: Sequence[int], num_subjects: int, seed: int,
                     classes: Sequence[str]) -> List[List[str]]:
    """Deal ``class_totals[i]`` clips of ``classes[i]`` over the subjects.

    The pooled list is shuffled (stream ``[seed, 5]``) and dealt round-robin,
    so subjects get (almost) the same number of clips but different class
    mixes; a subject may miss a rare class, as in CASME II / SAMM.
    """
    pool = [c for c, n in zip(classes, class_totals) for _ in range(int(n))]
    order = np.random.default_rng([seed, 5]).permutation(len(pool))
    dealt = [[] for _ in range(num_subjects)]
    for k, idx in enumerate(order):
        dealt[k % num_subjects].append(pool[int(idx)])
    return dealt


def _bumps(points: np.ndarray, vectors: np.ndarray, sigmas: np.ndarray,
           x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum of Gaussian bumps ``v_k exp(-|p - c_k|^2 / 2 s_k^2)`` at (x, y)."""
    out = np.zeros(np.shape(x) + (2, ))
    for (cx, cy), v, s in zip(points, vectors, sigmas):
        g = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s ** 2))
        out += g[..., None] * v
    return out


def identity_params(seed: int, subject_idx: int, variation: float, hw) -> dict:
    """Random identity of one subject (stream ``[seed, 6, subject]``).

    At ``variation`` 1 and 256 px: scale x(0.94..1.06), rotation +-3 deg on
    top of the default pose, a warp of six Gaussian bumps (sigma 20-40 px)
    peaking at 4 px, RGB gains ``1 + w (0.12, 0.03, -0.10)`` with warmth
    ``w`` in -1..1, darkening up to 30 % and a linear shading of 15-40 %
    from one side of the face to the other.
    """
    h, w = hw
    size = w / _REFERENCE_SIZE
    rng = np.random.default_rng([seed, 6, subject_idx])
    v = float(variation)
    scale_factor = 1 + float(rng.uniform(-0.06, 0.06)) * v
    rotation = float(rng.uniform(-3, 3)) * v
    centres = np.column_stack([rng.uniform(0.2 * w, 0.8 * w, 6),
                               rng.uniform(0.2 * h, 0.8 * h, 6)])
    sigmas = rng.uniform(20, 40, 6) * size
    angles = rng.uniform(0, 2 * np.pi, 6)
    magnitudes = rng.uniform(0.5, 1.0, 6) * 4.0 * v * size
    vectors = magnitudes[:, None] * np.column_stack([np.cos(angles), np.sin(angles)])
    warmth = float(rng.uniform(-1, 1)) * v
    gains = 1 + warmth * np.array([0.12, 0.03, -0.10])
    darkness = 1 - float(rng.uniform(0, 0.3)) * v
    shading = float(rng.uniform(0.15, 0.4)) * v
    shading_angle = float(rng.uniform(0, 2 * np.pi))
    return dict(
        scale_factor=scale_factor, rotation_offset_deg=rotation,
        warp_centres=centres, warp_vectors=vectors, warp_sigmas=sigmas,
        gains=gains * darkness, shading=shading, shading_angle=shading_angle,
        record=dict(identity_scale_factor=round(scale_factor, 6),
                    identity_rotation_offset_deg=round(rotation, 6),
                    identity_warp_max_px=round(float(magnitudes.max()), 6),
                    tone_gains=[round(float(g), 6) for g in gains * darkness],
                    shading=round(shading, 6),
                    shading_angle_deg=round(float(np.rad2deg(shading_angle)), 6)))


def apply_identity_warp(image: np.ndarray, landmarks: np.ndarray, identity: dict
                        ) -> Tuple[np.ndarray, np.ndarray]:
    """Warp a face by the identity field ``W``: ``out(y) = image(y - W(y))``.

    The content at ``p`` moves to the ``y`` with ``y - W(y) = p``; landmarks
    follow by the fixed point ``y <- p + W(y)`` (W is smooth and small, five
    steps converge far below 0.01 px).
    """
    h, w = image.shape[:2]
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    args = (identity['warp_centres'], identity['warp_vectors'], identity['warp_sigmas'])
    field = _bumps(*args, grid_x, grid_y)
    map_x = (grid_x - field[..., 0]).astype(np.float32)
    map_y = (grid_y - field[..., 1]).astype(np.float32)
    out = cv2.remap(image, map_x, map_y, cv2.INTER_CUBIC,
                    borderMode=cv2.BORDER_REFLECT101)
    moved = landmarks.copy()
    for _ in range(5):
        moved = landmarks + _bumps(*args, moved[:, 0], moved[:, 1])
    return out, moved


def apply_identity_tone(v: np.ndarray, identity: dict) -> np.ndarray:
    """Skin tone (RGB gains) and a linear illumination gradient on ``v``
    (HxWx3 in 0..1 after gamma)."""
    h, w = v.shape[:2]
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = identity['shading_angle']
    ramp = ((grid_x - (w - 1) / 2) * np.cos(a) + (grid_y - (h - 1) / 2) * np.sin(a)) \
        / (max(h, w) / 2)
    light = 1 + identity['shading'] * np.clip(ramp, -1, 1)
    return v * light[..., None] * identity['gains']


def vary_components(seed: int, subject_idx: int, clip_idx: int, cls: str,
                    probability: float, components: list,
                    components_of: Callable[[str], list]) -> list:
    """Shared action units (stream ``[seed, 7, subject, clip]``).

    With ``probability`` one AU group of a multi-group class is dropped (e.g. a
    negative clip with AU4 only), and, independently, one group of another
    class is added at 0.3-0.7 of its amplitude (e.g. a surprise clip with a
    weak AU12). ``components_of(cls)`` gives a class's full components.
    """
    rng = np.random.default_rng([seed, 7, subject_idx, clip_idx])
    u_drop, u_borrow = rng.random(2)
    pick_drop, pick_cls, pick_group = rng.random(3)
    factor = float(rng.uniform(0.3, 0.7))
    groups = AU_GROUPS[cls]
    keep = list(range(len(components)))
    if len(groups) > 1 and u_drop < probability:
        dropped = groups[int(pick_drop * len(groups))]
        keep = [i for i in keep if i not in dropped]
    out = [components[i] for i in keep]
    if u_borrow < probability:
        others = sorted(c for c in AU_GROUPS if c != cls)
        other = others[int(pick_cls * len(others))]
        other_components = components_of(other)
        group = AU_GROUPS[other][int(pick_group * len(AU_GROUPS[other]))]
        out += [(other_components[i][0], factor * other_components[i][1]) for i in group]
    return out


def _smooth_wave(rng, num_frames: int, onset_idx: int) -> np.ndarray:
    """A smooth profile with ``p(onset) = 0`` and ``max |p| = 1``."""
    period = rng.uniform(num_frames, 3 * num_frames)
    phase = rng.uniform(0, 2 * np.pi)
    t = np.arange(num_frames) - onset_idx
    wave = np.sin(2 * np.pi * t / period + phase) - np.sin(phase)
    return wave / max(np.abs(wave).max(), 1e-12)


def extra_motion(seed: int, subject_idx: int, clip_idx: int, plan: dict,
                 landmarks: np.ndarray, hw, blink_prob: float = 0.0,
                 head_rotation_deg: float = 0.0) -> Tuple[list, dict]:
    """Blinks and head rotation of one clip (stream ``[seed, 8, subject, clip]``).

    A blink (probability ``blink_prob``) lowers the upper lids by 0.8-2 px
    (at 256 px) and raises the lower lids by a third of that, with a Gaussian
    time profile (width 0.8-1.6 frames) centred anywhere after the onset, so
    it may or may not reach the apex. Head rotation (``head_rotation_deg``
    > 0): an in-plane rotation about the face centre of up to that angle plus
    a nod (vertical scaling of up to half of it), on a smooth time profile.

    Returns ``(list of (profile, field), record)``.
    """
    h, w = hw
    size = w / _REFERENCE_SIZE
    rng = np.random.default_rng([seed, 8, subject_idx, clip_idx])
    num, onset = plan['num_frames'], plan['onset_idx']
    t = np.arange(num, dtype=np.float64)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    up = landmarks[27] - landmarks[8]
    up = up / max(np.linalg.norm(up), 1e-12)
    motions, record = [], {}
    u_blink = rng.random()
    centre = float(rng.uniform(onset + 1.5, num - 1))
    width = float(rng.uniform(0.8, 1.6))
    closure = float(rng.uniform(0.8, 2.0)) * size
    if u_blink < blink_prob:
        profile = np.exp(-(t - centre) ** 2 / (2 * width ** 2))
        profile[:onset + 1] = 0.0
        lids = list(_UPPER_LIDS) + list(_LOWER_LIDS)
        vectors = [-closure * up] * 4 + [closure / 3 * up] * 4
        field = _bumps(landmarks[lids], np.array(vectors), np.full(8, 4.0 * size),
                       grid_x, grid_y)
        motions.append((profile, field))
        record['blink'] = dict(centre_frame=round(centre, 6), closure_px=round(closure, 6),
                               at_apex=round(float(profile[plan['apex_idx']]), 6))
    theta = np.deg2rad(float(rng.uniform(0, head_rotation_deg)))
    nod = theta * float(rng.uniform(-0.5, 0.5))
    wave = _smooth_wave(rng, num, onset)
    if head_rotation_deg > 0:
        cx, cy = landmarks.mean(0)
        field = np.dstack([-theta * (grid_y - cy), theta * (grid_x - cx) + nod * (grid_y - cy)])
        motions.append((wave, field))
        record['head_rotation_deg'] = round(float(np.rad2deg(theta)), 6)
    return motions, record
