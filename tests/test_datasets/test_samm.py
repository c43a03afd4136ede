"""SAMMDataset on a fake copy with the real sheet layout (tests/fixtures/me_layouts.py)."""
import os
import os.path as osp
import re
import shutil

import pytest

from mmmer.datasets import DatasetLayoutError, SAMMDataset
from mmmer.datasets.annotation import AnnotationError, read_annotation_table
from tests.fixtures.me_layouts import SAMM_3DB, build_samm, set_cell

SHEET = 'SAMM_Micro_FACS_Codes_v2.xlsx'


@pytest.fixture(scope='module')
def samm(tmp_path_factory):
    return build_samm(str(tmp_path_factory.mktemp('samm')))


def copy_with_sheet(samm, tmp_path):
    """A new data_root sharing the frames (symlink) with its own sheet copy."""
    root = tmp_path / 'samm'
    root.mkdir()
    os.symlink(osp.join(samm['root'], 'SAMM'), root / 'SAMM')
    shutil.copy(osp.join(samm['root'], SHEET), root / SHEET)
    return str(root)


def test_header_row_found_below_notes(samm):
    table = read_annotation_table(osp.join(samm['root'], SHEET), header_cell='Subject')
    assert table.header_row == samm['header_row'] == 14
    assert table.columns[:3] == ['Subject', 'Filename', 'Inducement Code']
    assert table.excel_rows[0] == 15
    # numeric-looking text stays text, numeric cells stay numbers
    subjects = [r[0] for r in table.rows if r[1] is not None and not str(r[0]).startswith('*')]
    assert '006' in subjects and 7 in subjects


def test_three_class_counts(samm):
    ds = SAMMDataset(data_root=samm['root'])
    assert len(ds) == 133
    assert ds.class_counts() == [92, 26, 15]
    assert len(ds.get_subjects()) == 28
    # per-subject counts of the MEGC2019 3DB table (HTNet's CSV)
    per_subject = {}
    for d in ds.data_list:
        per_subject[d['subject']] = per_subject.get(d['subject'], 0) + 1
    assert per_subject == {f'samm_{k}': v for k, v in SAMM_3DB.items()}
    # 'Other' and 'Others' are both excluded and counted
    emo = samm['emotions']
    assert dict(ds.excluded_counts) == {'other': emo['Other'], 'others': emo['Others']}
    assert emo['Other'] + emo['Others'] == 26 and emo['Others'] > 0


def test_five_class_merges_other_and_others(samm):
    ds = SAMMDataset(data_root=samm['root'], label_set='5class')
    names = ds.class_names
    counts = dict(zip(names, ds.class_counts()))
    assert counts == dict(anger=57, contempt=12, happiness=26, other=26, surprise=15)
    assert 'samm_025' in ds.get_subjects()  # 025 only has "Other" rows


def test_all_emotions_159_samples_29_subjects(samm):
    every = {e: i for i, e in enumerate(
        ('anger', 'contempt', 'disgust', 'fear', 'happiness', 'other', 'sadness', 'surprise'))}
    every['others'] = every['other']
    ds = SAMMDataset(data_root=samm['root'], label_set=every)
    assert len(ds) == 159 and len(ds.get_subjects()) == 29
    assert ds.class_counts() == [57, 12, 9, 8, 26, 26, 6, 15]


def test_subjects_are_padded_strings(samm):
    ds = SAMMDataset(data_root=samm['root'])
    assert all(re.fullmatch(r'samm_\d{3}', s) for s in ds.get_subjects())
    # rows whose Subject cell is the number 7 (odd k) still map to samm_007
    clips = {d['clip']: d['subject'] for d in ds.data_list}
    assert clips['007_2_1'] == 'samm_007' and clips['006_1_1'] == 'samm_006'


def test_frames_sorted_numerically_with_mixed_padding(samm):
    ds = SAMMDataset(data_root=samm['root'])
    by_clip = {d['clip']: d for d in ds.data_list}
    cross = by_clip['009_1_1']  # 9998 .. 10001: 4 -> 5 digits
    assert cross['frame_numbers'] == [9998, 9999, 10000, 10001]
    assert [osp.basename(p) for p in cross['frame_paths']] == [
        '009_9998.jpg', '009_9999.jpg', '009_10000.jpg', '009_10001.jpg']
    five = by_clip['006_1_1']
    assert osp.basename(five['frame_paths'][0]) == '006_01000.jpg'
    assert five['onset'] == five['frame_numbers'][0] == 1000
    for d in ds.data_list:
        assert d['frame_numbers'] == sorted(d['frame_numbers'])
        assert d['onset'] <= d['apex'] <= d['offset']
        assert d['frame_numbers'][0] == d['onset'] and d['frame_numbers'][-1] == d['offset']


def test_bad_rows_repaired_by_rule(samm):
    ds = SAMMDataset(data_root=samm['root'])
    by_clip = {d['clip']: d for d in ds.data_list}
    for clip, (kind, value) in samm['quirks'].items():
        d = by_clip[clip]
        if kind == 'offset_before_onset':
            assert d['offset'] == value  # the last file of the clip folder
        else:
            assert d['apex'] == value  # midpoint
        assert d['repairs'] and re.search(r'row \d+', d['repairs'][0])
    dropped = SAMMDataset(data_root=samm['root'], bad_apex='drop')
    n_apex = sum(1 for k, _ in samm['quirks'].values() if k.startswith('apex'))
    assert len(dropped) == 133 - n_apex
    with pytest.raises(AnnotationError, match=r'row \d+'):
        SAMMDataset(data_root=samm['root'], bad_apex='error')


def test_exclude_clips_accepts_raw_and_namespaced_subjects(samm):
    for subject in ('006', 6, 'samm_006'):
        ds = SAMMDataset(data_root=samm['root'], exclude_clips=[(subject, '006_1_1')])
        assert len(ds) == 132 and '006_1_1' not in {d['clip'] for d in ds.data_list}


def test_missing_root_and_sheet(samm, tmp_path):
    with pytest.raises(DatasetLayoutError, match='nowhere.*Expected layout'):
        SAMMDataset(data_root=str(tmp_path / 'nowhere'))
    root = copy_with_sheet(samm, tmp_path)
    os.remove(osp.join(root, SHEET))
    with pytest.raises(DatasetLayoutError, match=re.escape(SHEET) + '.*Expected layout'):
        SAMMDataset(data_root=root)


def test_unknown_emotion_names_row(samm, tmp_path):
    root = copy_with_sheet(samm, tmp_path)
    set_cell(osp.join(root, SHEET), 20, 'Estimated Emotion', 'Angry')
    with pytest.raises(AnnotationError, match=r'row 20.*Angry'):
        SAMMDataset(data_root=root)


def test_malformed_frame_number_names_row(samm, tmp_path):
    root = copy_with_sheet(samm, tmp_path)
    set_cell(osp.join(root, SHEET), 17, 'Onset Frame', '12a')
    with pytest.raises(AnnotationError, match=r"row 17.*'Onset Frame'.*12a"):
        SAMMDataset(data_root=root)


def test_missing_clip_folder(samm, tmp_path):
    root = tmp_path / 'samm'
    shutil.copytree(samm['root'], root)
    shutil.rmtree(root / 'SAMM' / '007' / '007_1_1')
    with pytest.raises(DatasetLayoutError, match='007/007_1_1'):
        SAMMDataset(data_root=str(root))
    assert len(SAMMDataset(data_root=str(root), missing_clips='skip')) == 132
    kept = SAMMDataset(data_root=str(root), missing_clips='keep')
    gone = [d for d in kept.data_list if d['clip'] == '007_1_1'][0]
    assert gone['frame_paths'] == [] and gone['clip_dir'] is None
