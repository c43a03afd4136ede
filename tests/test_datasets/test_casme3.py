"""CASME3Dataset (part A) on a fake copy of the v2 label workbook."""
import os
import os.path as osp
import re
import shutil

import pytest

from mmmer.datasets import CASME3Dataset, DatasetLayoutError
from mmmer.datasets.annotation import AnnotationError, KeyFrameRepairer
from tests.fixtures.me_layouts import build_casme3, write_frames, write_xlsx

SHEET = 'cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx'
EVERY = dict(disgust=0, fear=1, anger=2, sad=3, happy=4, surprise=5, others=6)


@pytest.fixture(scope='module')
def casme3(tmp_path_factory):
    return build_casme3(str(tmp_path_factory.mktemp('casme3')))


@pytest.fixture(scope='module')
def every(casme3):
    return CASME3Dataset(data_root=casme3['root'], label_set=EVERY)


def test_all_860_rows_are_samples_with_distinct_clip_ids(casme3, every):
    assert len(every) == 860
    # Others (capitalised) counts as others
    assert every.class_counts() == [250, 86, 64, 57, 55, 187, 161]
    keys = {(d['subject'], d['clip']) for d in every.data_list}
    assert len(keys) == 860
    videos = {(d['subject'], d['task']) for d in every.data_list}
    assert len(videos) == casme3['num_videos'] == 463  # 397 rows repeat a video
    assert len(every.get_subjects()) == 94
    assert all(re.fullmatch(r'casme3_spNO\.\d+', s) for s in every.get_subjects())


def test_three_class_counts(casme3):
    ds = CASME3Dataset(data_root=casme3['root'])
    assert len(ds) == 699
    assert ds.class_counts() == [457, 55, 187]
    assert len(ds.get_subjects()) == 88
    assert dict(ds.excluded_counts) == {'others': 161}


def test_frames_come_from_the_whole_video_folder(every):
    for d in every.data_list:
        assert d['onset'] <= d['apex'] <= d['offset']
        assert d['frame_numbers'] == list(range(d['onset'], d['offset'] + 1))
        assert osp.basename(osp.dirname(d['frame_paths'][0])) == 'color'
        assert osp.basename(d['frame_paths'][0]) == f'{d["onset"]}.jpg'
    upper = [d for d in every.data_list if d['task'] == 'J']
    assert upper and all(f'{os.sep}j{os.sep}color' in d['frame_paths'][0] for d in upper)


def test_bad_rows_repaired_by_rule_and_logged(casme3, every):
    by_clip = {(d['subject'], d['clip']): d for d in every.data_list}
    quirks = {k: v for k, v in casme3['quirks'].items()}
    found = {d['clip']: d for d in every.data_list if d.get('repairs')}
    assert set(found) == set(quirks)
    for clip, (kind, (on, ap, off)) in quirks.items():
        d = found[clip]
        assert all(re.search(r'row \d+', note) for note in d['repairs'])
        if kind == 'apex_outside':       # apex 83 < onset 112 style
            assert d['apex'] == on + (off - on) // 2
        elif kind == 'onset_after_apex':  # onset typo 3647 for 2647 style
            assert d['onset'] < d['apex'] == ap and d['offset'] == off
        elif kind in ('offset_zero', 'offset_too_long'):
            assert (d['onset'], d['apex']) == (on, ap) and ap < d['offset'] <= ap + 10
        elif kind == 'onset_apex_zero':
            assert d['onset'] == 1 and d['offset'] == off
            assert d['apex'] == 1 + (off - 1) // 2
    assert by_clip  # every repaired row stays a sample


def test_repairer_on_the_documented_values():
    rep = KeyFrameRepairer(max_duration=150)
    rep.rise, rep.fall = 6, 4
    # row 128: apex 83 < onset 112 -> midpoint
    assert rep.repair(112, 83, 130, 'r')[:3] == (112, 121, 130)
    # row 749: onset 3647 > apex 2655 and > offset -> apex - rise
    assert rep.repair(3647, 2655, 2660, 'r')[:3] == (2649, 2655, 2660)
    # rows 796/798: offset 0 -> apex + fall
    assert rep.repair(1830, 1838, 0, 'r')[:3] == (1830, 1838, 1842)
    # row 708: offset 3460 for 34 -> apex + fall
    assert rep.repair(20, 28, 3460, 'r')[:3] == (20, 28, 32)
    # row 750: onset = apex = 0 -> onset = first frame (1), apex = midpoint
    assert rep.repair(0, 0, 41, 'r')[:3] == (1, 21, 41)
    # valid rows are untouched and produce no note
    assert rep.repair(5, 7, 9, 'r') == (5, 7, 9, [])
    # trimmed clip folder: onset/offset come from the files
    assert rep.repair(5, 7, 0, 'r', disk_range=(5, 11), trimmed=True)[:3] == (5, 7, 11)
    with pytest.raises(AnnotationError, match='row 9'):
        KeyFrameRepairer(bad_apex='error').repair(5, None, 9, 'sheet row 9')


def test_sheet_and_root_errors(casme3, tmp_path):
    with pytest.raises(DatasetLayoutError, match="'Sheet9'"):
        CASME3Dataset(data_root=casme3['root'], sheet_name='Sheet9')
    with pytest.raises(DatasetLayoutError, match="no header cell 'Subject'"):
        CASME3Dataset(data_root=casme3['root'], sheet_name='Sheet1')  # empty sheet
    with pytest.raises(DatasetLayoutError, match='nowhere.*part_A'):
        CASME3Dataset(data_root=str(tmp_path / 'nowhere'))
    root = tmp_path / 'c3'
    root.mkdir()
    pattern = 'not found.*' + re.escape(SHEET) + '.*Expected layout'
    with pytest.raises(DatasetLayoutError, match=pattern):
        CASME3Dataset(data_root=str(root))


def test_unknown_emotion_and_bad_frame_name_the_row(tmp_path):
    root = tmp_path / 'c3'
    write_frames(str(root / 'part_A' / 'spNO.1' / 'a' / 'color'), range(1, 20), '{}.jpg'.format)
    header = ['Subject', 'Filename', 'Onset', 'Apex', 'Offset', 'AU', 'Objective class',
              'emotion']
    write_xlsx(str(root / SHEET), {'label': [header, ['spNO.1', 'a', '2', '4', '6', '4', 'I',
                                                      'contempt']]})
    with pytest.raises(AnnotationError, match="row 2.*unknown emotion 'contempt'"):
        CASME3Dataset(data_root=str(root))
    write_xlsx(str(root / SHEET), {'label': [header, ['spNO.1', 'a', '2', '4', '6', '4', 'I',
                                                      'sad'],
                                             ['spNO.1', 'a', '7', '9?', '12', '4', 'I',
                                              'sad']]})
    with pytest.raises(AnnotationError, match="row 3.*'Apex'.*9\\?"):
        CASME3Dataset(data_root=str(root))


def test_me_clip_layout(tmp_path):
    root = tmp_path / 'c3'
    header = ['Subject', 'Filename', 'Onset', 'Apex', 'Offset', 'AU', 'Objective class',
              'emotion']
    write_xlsx(str(root / SHEET), {'label': [
        header, ['spNO.1', 'b', '166', '175', '179', '4', 'III', 'disgust'],
        ['spNO.1', 'e', '62', '68', '96', 'R12', 'I', 'others'],
        ['spNO.1', 'e', '96', '102', '106', 'R12', 'I', 'surprise']]})
    write_frames(str(root / 'Part_A_ME_clip' / 'frame' / 'spNO.1_b_166'), range(166, 180),
                 '{}.jpg'.format)
    write_frames(str(root / 'Part_A_ME_clip' / 'frame' / 'spNO.1_e_96'), range(96, 107),
                 '{}.jpg'.format)
    ds = CASME3Dataset(data_root=str(root), layout='me_clip')
    assert [(d['clip'], d['gt_label'], d['frame_numbers'][0], d['frame_numbers'][-1])
            for d in ds.data_list] == [('b_166', 0, 166, 179), ('e_96', 2, 96, 106)]
    shutil.rmtree(root / 'Part_A_ME_clip' / 'frame' / 'spNO.1_e_96')
    with pytest.raises(DatasetLayoutError, match='spNO.1/e_96'):
        CASME3Dataset(data_root=str(root), layout='me_clip')
