"""The embedded synthetic micro-expression dataset.

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

Modules: :mod:`.renderer` (faces, AU fields, clips), :mod:`.writer` (the
CASME II-layout files, the sheet, the lock and the atomic regeneration),
:mod:`.dataset` (:class:`SyntheticMEDataset`), :mod:`.variation` (the
optional realism of the hard preset: 3DB-like class totals, identity warps,
skin tone and illumination, head rotation, blinks, shared action units; all
off by default, so the default dataset keeps its bytes) and
:mod:`.calibration` (a ground-truth-flow logistic-regression ceiling and a
shuffled-label control, LOSO).
"""
from .dataset import SyntheticMEDataset
from .renderer import (CLASS_SPECS, apex_field, apex_ground_truth, astronaut_face,
                       clip_plan, raised_cosine_profile, render_clip, render_subject)
from .writer import (ANNOTATION_FILE, FRAMES_DIR, GT_FLOW_DIR, REALISM_DEFAULTS,
                     SETTINGS_FILE, generate_synthetic_dataset, read_synthetic_settings,
                     synthetic_settings)

__all__ = [
    'SyntheticMEDataset', 'CLASS_SPECS', 'astronaut_face', 'render_subject', 'clip_plan',
    'apex_field', 'render_clip', 'apex_ground_truth', 'raised_cosine_profile',
    'ANNOTATION_FILE', 'FRAMES_DIR', 'GT_FLOW_DIR', 'SETTINGS_FILE', 'REALISM_DEFAULTS',
    'generate_synthetic_dataset', 'read_synthetic_settings', 'synthetic_settings'
]
