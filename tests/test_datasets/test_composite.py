"""CompositeDataset = the MEGC2019 3DB built from the shipped config."""
import copy

import pytest

from mmmer.datasets import CompositeDataset
from mmmer.registry import DATASETS
from mmmer.utils import register_all_modules
from tests.fixtures.me_layouts import (build_3db, composite_3db_cfg, subject_counts,
                                       three_db_subject_counts)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    register_all_modules()
    root = str(tmp_path_factory.mktemp('3db'))
    build_3db(root)
    return root


@pytest.fixture(scope='module')
def cfg(root):
    return composite_3db_cfg(root)[0]


@pytest.fixture(scope='module')
def ds(cfg):
    return DATASETS.build(copy.deepcopy(cfg))


def test_3db_counts(ds):
    assert isinstance(ds, CompositeDataset)
    assert len(ds) == 442
    assert ds.class_names == ('negative', 'positive', 'surprise')
    assert ds.class_counts() == [250, 109, 83]
    assert len(ds.get_subjects()) == 68
    table = {}
    for name in ('smic', 'casme2', 'samm'):
        part = [d for d in ds.data_list if d['dataset'] == name]
        counts = [sum(d['gt_label'] == c for d in part) for c in range(3)]
        table[name] = (len(part), counts, len({d['subject'] for d in part}))
    assert table == dict(smic=(164, [70, 51, 43], 16), casme2=(145, [88, 32, 25], 24),
                         samm=(133, [92, 26, 15], 28))


def test_per_subject_counts_match_the_3db_list(ds):
    assert subject_counts(ds.data_list) == three_db_subject_counts()
    # the two MEGC2019 CASME II exclusions are absent
    clips = {(d['subject'], d['clip']) for d in ds.data_list}
    assert ('casme2_sub04', 'EP12_01f') not in clips
    assert ('casme2_sub24', 'EP02_07') not in clips


def test_subjects_never_collide(ds):
    owners = {}
    for d in ds.data_list:
        assert d['subject'].startswith(d['dataset'] + '_')
        owners.setdefault(d['subject'], set()).add(d['dataset'])
    assert all(len(v) == 1 for v in owners.values())
    # raw ids that pandas would make equal stay apart: CASME II 6, SAMM 006 -> 6
    assert 'casme2_sub06' in owners and 'samm_006' in owners
    assert len({d['sample_idx'] for d in ds.data_list}) == 442


def test_loso_selection_and_pipeline(cfg):
    fold = DATASETS.build(dict(copy.deepcopy(cfg), subjects=['samm_006']))
    assert len(fold) == 11 and fold.get_subjects() == ['samm_006']
    rest = DATASETS.build(dict(copy.deepcopy(cfg), exclude_subjects=['smic_s3']))
    assert len(rest) == 442 - 39 and 'smic_s3' not in rest.get_subjects()
    with pytest.raises(ValueError, match='smic_s7'):
        DATASETS.build(dict(copy.deepcopy(cfg), subjects=['smic_s7']))
    item = fold[0]
    assert item['dataset'] == 'samm' and item['frame_paths']


def test_children_must_share_classes_and_not_share_subjects(cfg):
    bad = copy.deepcopy(cfg)
    bad['datasets'][2]['label_set'] = '5class'
    with pytest.raises(ValueError, match='same label_set'):
        DATASETS.build(bad)
    twice = copy.deepcopy(cfg)
    twice['datasets'] = [twice['datasets'][2], twice['datasets'][2]]
    with pytest.raises(ValueError, match="'samm_006' comes from both"):
        DATASETS.build(twice)
