"""Subject-disjoint generator groups for the diffusion augmentation.

The subjects are split into ``num_groups`` disjoint groups, stratified by
dataset; generator ``g`` is trained on every group except ``g``. A LOSO fold
may only use the generator whose held-out group contains *all* of the fold's
non-training subjects, so no generator has ever seen a fold's test subject.
One generator per group (5) instead of one per fold (68).
"""
import re
from collections import defaultdict
from typing import Dict, Iterable, List, Mapping, Sequence

import numpy as np

from mmmer.utils.errors import MMMERUserError


class GeneratorLeakageError(RuntimeError, MMMERUserError):
    """A generator would be used on a fold whose test subjects it was trained on."""


class FoldGroupError(ValueError, MMMERUserError):
    """No generator group holds out all of a fold's non-training subjects."""


def natural_key(name: str):
    """'sub2' < 'sub10': split digits out so numbers compare as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r'(\d+)', str(name))]


def subject_datasets(data_list: Iterable[dict]) -> Dict[str, str]:
    """``{subject: dataset}`` from sample dicts; a subject must belong to one dataset."""
    out: Dict[str, str] = {}
    for d in data_list:
        subject, dataset = d['subject'], d.get('dataset', '')
        if out.setdefault(subject, dataset) != dataset:
            raise ValueError(f'subject {subject!r} appears in datasets {out[subject]!r} '
                             f'and {dataset!r}; subject ids must be namespaced '
                             "('{dataset}_{subject}').")
    return out


def split_subject_groups(subject_to_dataset: Mapping[str, str], num_groups: int = 5,
                         seed: int = 0) -> List[List[str]]:
    """Split subjects into ``num_groups`` disjoint groups stratified by dataset.

    Deterministic: within each dataset (datasets in sorted order) the subjects
    are sorted naturally, permuted with ``seed``, and dealt round-robin; the
    dealer carries on from where the previous dataset stopped, so group sizes
    differ by at most one overall and, per dataset, by at most one as well.
    Returns the groups, each sorted naturally.
    """
    if num_groups < 2:
        raise ValueError(f'num_groups must be >= 2 (got {num_groups}): with one group '
                         'the generator would have no training subjects.')
    if len(subject_to_dataset) < num_groups:
        raise ValueError(f'{len(subject_to_dataset)} subjects cannot fill {num_groups} '
                         'subject-disjoint groups; lower diffusion.num_groups.')
    by_dataset = defaultdict(list)
    for subject, dataset in subject_to_dataset.items():
        by_dataset[dataset].append(subject)
    rng = np.random.default_rng(seed)
    groups: List[List[str]] = [[] for _ in range(num_groups)]
    dealer = 0
    for dataset in sorted(by_dataset):
        subjects = sorted(by_dataset[dataset], key=natural_key)
        for i in rng.permutation(len(subjects)):
            groups[dealer % num_groups].append(subjects[i])
            dealer += 1
    return [sorted(g, key=natural_key) for g in groups]


def generator_train_subjects(groups: Sequence[Sequence[str]], group: int) -> List[str]:
    """Subjects generator ``group`` is trained on: every group but ``group``."""
    return sorted((s for i, g in enumerate(groups) if i != group for s in g),
                  key=natural_key)


def held_out_group(test_subjects: Iterable[str], groups: Sequence[Sequence[str]]) -> int:
    """Index of the group that contains all of ``test_subjects``.

    Raises :class:`FoldGroupError` when there is none (no test subject, an
    unknown subject, or test subjects spread over several groups).
    """
    test_subjects = set(test_subjects)
    if not test_subjects:
        raise FoldGroupError(
            'the fold has no held-out subjects (its training split holds every subject), '
            'so no generator can be chosen without leakage; generated augmentation is '
            'only defined for folds that hold subjects out.')
    for i, g in enumerate(groups):
        if test_subjects <= set(g):
            return i
    where = {s: [i for i, g in enumerate(groups) if s in g] for s in sorted(test_subjects)}
    raise FoldGroupError(
        f'no generator group holds out all non-training subjects of this fold '
        f'(subject -> group: {where}). Every generator would have seen one of them. '
        'Use LOSO without a validation split carved from subjects (loso.val_subjects), '
        'or folds that hold out subjects of a single group.')


def check_no_leakage(generator_subjects: Iterable[str], test_subjects: Iterable[str],
                     where: str = 'generator'):
    """Raise :class:`GeneratorLeakageError` if the generator saw a test subject."""
    leaked = sorted(set(generator_subjects) & set(test_subjects), key=natural_key)
    if leaked:
        raise GeneratorLeakageError(
            f'{where} was trained on test subject(s) {leaked} of this fold; using it '
            'would leak the test subjects into training. Retrain the generators with '
            'tools/augment/train_ddpm.py (delete the stale generator directory).')
