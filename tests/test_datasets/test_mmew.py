"""MMEWDataset on a fake copy (sheet + emotion-sorted clip folders)."""
import os.path as osp
import re
import shutil

import pytest

from mmmer.datasets import DatasetLayoutError, MMEWDataset
from mmmer.datasets.annotation import AnnotationError
from tests.fixtures.me_layouts import MMEW_COUNTS, build_mmew, set_cell

SHEET = 'MMEW_Micro_Exp.xlsx'


@pytest.fixture(scope='module')
def mmew(tmp_path_factory):
    return build_mmew(str(tmp_path_factory.mktemp('mmew')))


def test_all_emotions_300_samples_30_subjects(mmew):
    every = {e: i for i, e in enumerate(MMEW_COUNTS)}
    ds = MMEWDataset(data_root=mmew['root'], label_set=every)
    assert len(ds) == 300
    assert ds.class_counts() == list(MMEW_COUNTS.values())
    assert ds.get_subjects() == [f'mmew_{i:02d}' for i in range(1, 31)]


def test_three_and_five_class(mmew):
    ds = MMEWDataset(data_root=mmew['root'])
    assert len(ds) == 234 and ds.class_counts() == [109, 36, 89]
    five = MMEWDataset(data_root=mmew['root'], label_set='5class')
    assert dict(zip(five.class_names, five.class_counts())) == dict(
        disgust=72, fear=16, happiness=36, others=66, surprise=89)


def test_others_found_in_repression_folder_and_frames_by_number(mmew):
    ds = MMEWDataset(data_root=mmew['root'], label_set='5class')
    others = [d for d in ds.data_list if d['emotion'] == 'others']
    assert len(others) == 66
    assert all(f'{osp.sep}repression{osp.sep}' in d['frame_paths'][0] for d in others)
    for d in ds.data_list:
        assert d['frame_numbers'] == list(range(d['onset'], d['offset'] + 1))
        assert osp.basename(d['frame_paths'][0]) == f'{d["onset"]}.jpg'
        assert d['onset'] < d['apex'] < d['offset']


def test_clip_in_two_emotion_folders_is_an_error(mmew, tmp_path):
    root = tmp_path / 'mmew'
    shutil.copytree(mmew['root'], root)
    happy = sorted((root / 'Micro_Expression' / 'happiness').iterdir())[0]
    shutil.copytree(happy, root / 'Micro_Expression' / 'surprise' / happy.name)
    with pytest.raises(DatasetLayoutError, match=re.escape(happy.name) + '.*two emotion'):
        MMEWDataset(data_root=str(root))


def test_bad_cells_name_the_row(mmew, tmp_path):
    root = tmp_path / 'mmew'
    shutil.copytree(mmew['root'], root)
    set_cell(str(root / SHEET), 5, 'Estimated Emotion', 'contempt')
    with pytest.raises(AnnotationError, match="row 5.*unknown emotion 'contempt'"):
        MMEWDataset(data_root=str(root))
    set_cell(str(root / SHEET), 5, 'Estimated Emotion', 'fear')
    set_cell(str(root / SHEET), 9, 'OffsetFrame', 'end')
    with pytest.raises(AnnotationError, match="row 9.*'OffsetFrame'.*'end'"):
        MMEWDataset(data_root=str(root))


def test_missing_layout(mmew, tmp_path):
    with pytest.raises(DatasetLayoutError, match='nowhere.*Micro_Expression'):
        MMEWDataset(data_root=str(tmp_path / 'nowhere'))
    root = tmp_path / 'mmew'
    root.mkdir()
    shutil.copy(osp.join(mmew['root'], SHEET), root / SHEET)
    with pytest.raises(DatasetLayoutError, match='MMEW frame folder not found'):
        MMEWDataset(data_root=str(root))
