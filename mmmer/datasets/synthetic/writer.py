"""Writing the synthetic dataset in the CASME II layout.

:func:`generate_synthetic_dataset` renders every clip into a temporary
sibling folder (frames as JPEG, the annotation sheet with pinned zip
timestamps so the same settings give the same bytes, ``gt_flow`` arrays, and
``synthetic_settings.json`` written last) and swaps it in with renames under a
lock on the parent folder, so an interrupted or concurrent run never leaves a
dataset that looks complete.
"""
import contextlib
import io
import json
import os
import os.path as osp
import re
import shutil
import tempfile
import time
import zipfile
from typing import Optional, Sequence, Union

import cv2
import numpy as np
from mmengine.logging import MMLogger

from mmmer.utils.io import dump_json_atomic

from ..base import DatasetLayoutError
from .renderer import apex_field, apex_ground_truth, as_hw, clip_plan, render_clip, render_subject
from .variation import allocate_classes, extra_motion

__all__ = ['GENERATOR_VERSION', 'CLASSES', 'REALISM_DEFAULTS', 'SETTINGS_FILE',
           'ANNOTATION_FILE', 'FRAMES_DIR', 'GT_FLOW_DIR', 'CASME2_HEADER', 'synthetic_settings', 'read_synthetic_settings',
           'generate_synthetic_dataset']

GENERATOR_VERSION = 1
#: The classes in the order of ``class_totals``.
CLASSES = ('negative', 'positive', 'surprise')
SETTINGS_FILE = 'synthetic_settings.json'
ANNOTATION_FILE = 'annotation.xlsx'
FRAMES_DIR = 'Cropped'
GT_FLOW_DIR = 'gt_flow'

#: CASME II header, the two blank columns included.
CASME2_HEADER = ('Subject', 'Filename', None, 'OnsetFrame', 'ApexFrame',
                 'OffsetFrame', None, 'Action Units', 'Estimated Emotion')


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
                       jpeg_quality: int = 95,
                       class_totals: Optional[Sequence[int]] = None,
                       identity_variation: float = 0.0,
                       head_motion_px: float = 0.5,
                       head_rotation_deg: float = 0.0,
                       blink_prob: float = 0.0,
                       au_variation: float = 0.0) -> dict:
    """The normalised settings dict recorded in ``synthetic_settings.json``.

    The realism options (``class_totals`` .. ``au_variation``) are recorded
    only when they differ from their defaults, so the default dataset's
    settings (and bytes) are those of the original generator.
    """
    hw = as_hw(frame_size)
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
    realism = _realism_settings(num_subjects, extra_negative, class_totals,
                                identity_variation, head_motion_px, head_rotation_deg,
                                blink_prob, au_variation)
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
        jpeg_quality=int(jpeg_quality),
        **realism)


#: Defaults of the realism options (the original, easy dataset).
REALISM_DEFAULTS = dict(class_totals=None, identity_variation=0.0, head_motion_px=0.5,
                        head_rotation_deg=0.0, blink_prob=0.0, au_variation=0.0)


def _realism_settings(num_subjects, extra_negative, class_totals, identity_variation,
                      head_motion_px, head_rotation_deg, blink_prob, au_variation) -> dict:
    """Validated realism options that differ from :data:`REALISM_DEFAULTS`."""
    out = {}
    if class_totals is not None:
        totals = [int(v) for v in class_totals]
        if len(totals) != len(CLASSES) or min(totals) < 0 or sum(totals) < num_subjects:
            raise ValueError(
                f'class_totals must be {len(CLASSES)} counts >= 0 ({", ".join(CLASSES)}) '
                f'summing to at least num_subjects={num_subjects}, got {class_totals}')
        if extra_negative:
            raise ValueError('class_totals replaces clips_per_class and extra_negative; '
                             f'drop extra_negative={extra_negative}.')
        out['class_totals'] = totals
    for name, value, hi in (('identity_variation', identity_variation, 1.0),
                            ('blink_prob', blink_prob, 1.0),
                            ('au_variation', au_variation, 1.0),
                            ('head_motion_px', head_motion_px, None),
                            ('head_rotation_deg', head_rotation_deg, 10.0)):
        value = float(value)
        if value < 0 or (hi is not None and value > hi):
            raise ValueError(f'{name} must be in [0, {hi if hi is not None else "inf"}], '
                             f'got {value}')
        if value != REALISM_DEFAULTS[name]:
            out[name] = value
    return out


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
    opt = dict(REALISM_DEFAULTS, **{k: settings[k] for k in REALISM_DEFAULTS if k in settings})
    dealt = None
    if opt['class_totals'] is not None:
        dealt = allocate_classes(opt['class_totals'], settings['num_subjects'], seed, CLASSES)
    for subject_idx in range(settings['num_subjects']):
        subject = f'sub{subject_idx + 1:02d}'
        if opt['identity_variation'] > 0:
            face = render_subject(seed, subject_idx, hw, opt['identity_variation'])
        else:
            face = render_subject(seed, subject_idx, hw)
        subjects_meta.append(dict(
            subject=subject, **face['params'],
            affine=np.round(face['affine'], 6).tolist(),
            landmarks=np.round(face['landmarks'], 3).tolist()))
        classes = ['negative'] * (k + settings['extra_negative']) + \
            ['positive'] * k + ['surprise'] * k
        if dealt is not None:
            classes = sorted(dealt[subject_idx], key=CLASSES.index)
        order = np.random.default_rng([seed, 3, subject_idx]).permutation(len(classes))
        for clip_idx, class_idx in enumerate(order):
            cls = classes[int(class_idx)]
            plan = clip_plan(seed, subject_idx, clip_idx, cls, face['landmarks'], hw,
                              settings['amplitude_range'], settings['clip_length_range'],
                              opt['head_motion_px'], opt['au_variation'])
            take = np.random.default_rng([seed, 4, subject_idx, clip_idx]).integers(1, 10)
            clip = f'EP{clip_idx + 1:02d}_{int(take):02d}'
            field = apex_field(plan, face['landmarks'], hw)
            extra, extra_record = (), {}
            if opt['blink_prob'] > 0 or opt['head_rotation_deg'] > 0:
                extra, extra_record = extra_motion(
                    seed, subject_idx, clip_idx, plan, face['landmarks'], hw,
                    opt['blink_prob'], opt['head_rotation_deg'])
            frames = render_clip(face['neutral'], field, plan, face['params']['noise_std'],
                                 extra)
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
            gt = apex_ground_truth(field, plan, extra)
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
                gt_max_px=round(float(magnitude.max()), 6), **extra_record))
            if opt['au_variation'] > 0:
                clips_meta[-1]['moving_landmarks'] = sorted(
                    {int(i) for idx, _ in plan['components'] for i in idx})
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
                               jpeg_quality: int = 95,
                               class_totals: Optional[Sequence[int]] = None,
                               identity_variation: float = 0.0,
                               head_motion_px: float = 0.5,
                               head_rotation_deg: float = 0.0,
                               blink_prob: float = 0.0,
                               au_variation: float = 0.0) -> dict:
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
        class_totals ((int, int, int), optional): clips of negative,
            positive, surprise over the whole dataset, dealt over the
            subjects (replaces ``clips_per_class`` / ``extra_negative``);
            e.g. the MEGC2019 composite's 250 / 109 / 83 proportions.
        identity_variation (float): 0..1, per-subject non-rigid warp, pose,
            skin tone and illumination (:mod:`.variation`); default 0.
        head_motion_px (float): bound of the smooth head translation; 0.5.
        head_rotation_deg (float): bound of a smooth in-plane head rotation
            and nod; default 0.
        blink_prob (float): probability that a clip has a blink; default 0.
        au_variation (float): probability of dropping one of the class's AU
            groups and, independently, of borrowing a weaker one of another
            class; default 0.

        All realism options at their defaults give the original dataset,
        byte for byte. ``configs/_base_/datasets/synthetic_hard.py`` sets
        them all (the hard preset).

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
                                  jpeg_quality, class_totals, identity_variation,
                                  head_motion_px, head_rotation_deg, blink_prob,
                                  au_variation)
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
