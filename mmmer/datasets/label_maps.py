"""Emotion -> class id maps (MEGC2019 3-class and the 5-class maps).

Encoding follows LabelEncoder's alphabetical order used by MEGC2019 / HTNet:
negative 0, positive 1, surprise 2. Keys are lowercase raw emotion strings.
"""
from typing import Dict, Tuple

THREE_CLASS_NAMES = ('negative', 'positive', 'surprise')

_NEG, _POS, _SUR = 0, 1, 2

MEGC2019_3CLASS: Dict[str, Dict[str, int]] = {
    'smic': {'negative': _NEG, 'ne': _NEG, 'positive': _POS, 'po': _POS,
             'surprise': _SUR, 'sur': _SUR},
    # CASME II: fear and sadness are excluded in MEGC2019 (145 samples).
    'casme2': {'disgust': _NEG, 'repression': _NEG, 'happiness': _POS,
               'surprise': _SUR},
    'samm': {'anger': _NEG, 'contempt': _NEG, 'disgust': _NEG, 'fear': _NEG,
             'sadness': _NEG, 'happiness': _POS, 'surprise': _SUR},
    'casme3': {'disgust': _NEG, 'fear': _NEG, 'anger': _NEG, 'sad': _NEG,
               'happy': _POS, 'surprise': _SUR},
    'mmew': {'disgust': _NEG, 'fear': _NEG, 'sadness': _NEG, 'anger': _NEG,
             'happiness': _POS, 'surprise': _SUR},
}
# The synthetic dataset is written in the CASME II layout.
MEGC2019_3CLASS['synthetic'] = MEGC2019_3CLASS['casme2']
MEGC2019_3CLASS['me'] = MEGC2019_3CLASS['casme2']

FIVE_CLASS_NAMES: Dict[str, Tuple[str, ...]] = {
    'casme2': ('disgust', 'happiness', 'others', 'repression', 'surprise'),
    'samm': ('anger', 'contempt', 'happiness', 'other', 'surprise'),
    'mmew': ('disgust', 'fear', 'happiness', 'others', 'surprise'),
}
_FIVE_CLASS_ALIASES = {'samm': {'others': 'other'}}


def get_label_map(dataset: str, label_set) -> Tuple[Dict[str, int], Tuple[str, ...]]:
    """Return ``(emotion -> id, class names)`` for a dataset and label set."""
    if isinstance(label_set, dict):
        names = [None] * (max(label_set.values()) + 1)
        for k, v in label_set.items():
            names[v] = names[v] or k
        return {k.lower(): v for k, v in label_set.items()}, tuple(names)
    if label_set == '3class':
        if dataset not in MEGC2019_3CLASS:
            raise KeyError(f'No MEGC2019 3-class map for dataset {dataset!r}; '
                           f'known: {sorted(MEGC2019_3CLASS)}')
        return dict(MEGC2019_3CLASS[dataset]), THREE_CLASS_NAMES
    if label_set == '5class':
        if dataset not in FIVE_CLASS_NAMES:
            raise KeyError(f'No 5-class map for dataset {dataset!r}; known: '
                           f'{sorted(FIVE_CLASS_NAMES)}')
        names = FIVE_CLASS_NAMES[dataset]
        mapping = {n: i for i, n in enumerate(names)}
        for alias, target in _FIVE_CLASS_ALIASES.get(dataset, {}).items():
            mapping[alias] = mapping[target]
        return mapping, names
    raise ValueError(f"label_set must be '3class', '5class' or a dict, got {label_set!r}")
