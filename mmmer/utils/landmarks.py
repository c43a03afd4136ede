"""Facts about the iBUG 300-W 68-point landmark scheme that dlib predicts.

Indices: 0-16 jaw, 17-21 and 22-26 brows, 27-35 nose (30 = tip), 36-41 the
eye at image-left, 42-47 the eye at image-right, 48-67 mouth (48 = image-left
corner, 54 = image-right corner).
"""
import numpy as np

__all__ = ['MIRROR_68', 'mirror_permutation_68']


def mirror_permutation_68() -> np.ndarray:
    """Index map of the 68 points under a horizontal mirror: point ``k`` of
    the mirrored face is point ``perm[k]`` of the original (jaw, brows,
    nostrils, eyes and lips swap sides; the midline points stay)."""
    pairs = [(i, 16 - i) for i in range(8)]                       # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]                 # brows
    pairs += [(31, 35), (32, 34)]                                 # nostrils
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]   # outer lips
    pairs += [(60, 64), (61, 63), (65, 67)]                       # inner lips
    perm = np.arange(68)
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


#: After a horizontal flip, point ``k`` is the transformed point
#: ``MIRROR_68[k]`` (an involution: ``MIRROR_68[MIRROR_68] == arange(68)``).
#: Read-only; index arrays with it (``landmarks[MIRROR_68]``).
MIRROR_68 = mirror_permutation_68()
MIRROR_68.setflags(write=False)
