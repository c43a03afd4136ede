"""Subject-disjoint, dataset-stratified generator groups (no leakage)."""
from collections import Counter

import pytest

from mmmer.generation.groups import (FoldGroupError, GeneratorLeakageError,
                                     check_no_leakage, generator_train_subjects,
                                     held_out_group, split_subject_groups)


def megc2019_subjects():
    """The 3DB subject list: SMIC 16, CASME II 24, SAMM 28 (HTNet's 3DB CSV)."""
    out = {f'smic_s{i}': 'smic' for i in range(1, 17)}
    out.update({f'casme2_sub{i:02d}': 'casme2' for i in range(1, 25)})
    out.update({f'samm_{i:03d}': 'samm' for i in range(6, 34)})
    return out


def test_split_is_disjoint_complete_and_stratified():
    subjects = megc2019_subjects()
    groups = split_subject_groups(subjects, num_groups=5, seed=0)
    flat = [s for g in groups for s in g]
    assert len(flat) == len(set(flat)) == 68
    assert set(flat) == set(subjects)
    assert sorted(len(g) for g in groups) == [13, 13, 14, 14, 14]
    for dataset, total in (('smic', 16), ('casme2', 24), ('samm', 28)):
        per_group = [sum(subjects[s] == dataset for s in g) for g in groups]
        assert sum(per_group) == total
        assert max(per_group) - min(per_group) <= 1, (dataset, per_group)


def test_split_is_deterministic_and_seeded():
    subjects = megc2019_subjects()
    a = split_subject_groups(subjects, 5, seed=0)
    b = split_subject_groups(dict(reversed(list(subjects.items()))), 5, seed=0)
    assert a == b  # independent of the order the subjects come in
    assert split_subject_groups(subjects, 5, seed=1) != a


def test_generator_train_subjects_exclude_exactly_the_group():
    subjects = megc2019_subjects()
    groups = split_subject_groups(subjects, 5)
    for g in range(5):
        train = generator_train_subjects(groups, g)
        assert set(train) == set(subjects) - set(groups[g])
        # The LOSO fold of every held-out subject uses this generator.
        for s in groups[g]:
            assert held_out_group([s], groups) == g


def test_held_out_group_refuses_unsafe_folds():
    groups = [['a', 'b'], ['c', 'd'], ['e']]
    with pytest.raises(FoldGroupError, match='no held-out subjects'):
        held_out_group([], groups)
    with pytest.raises(FoldGroupError, match='no generator group'):
        held_out_group(['a', 'c'], groups)  # spread over two groups
    assert held_out_group(['a', 'b'], groups) == 0
    with pytest.raises(GeneratorLeakageError, match=r"\['c'\]"):
        check_no_leakage(['a', 'c'], ['c', 'e'])
    check_no_leakage(['a', 'b'], ['c'])


def test_bad_group_numbers():
    with pytest.raises(ValueError, match='cannot fill'):
        split_subject_groups({'a': 'x', 'b': 'x'}, num_groups=3)
    with pytest.raises(ValueError, match='>= 2'):
        split_subject_groups({'a': 'x', 'b': 'x'}, num_groups=1)
    assert Counter(len(g) for g in split_subject_groups({'a': 'x', 'b': 'y', 'c': 'x'}, 3)) \
        == {1: 3}
