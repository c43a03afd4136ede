"""CASME II parser on small fixtures built here with the real sheet header.

The fixture reproduces the quirks of the real CASME II sheet: blank
header columns, int and "01" subjects, the "/" apex of sub04/EP12_01f,
irregular clip names, sub16/EP01_08 shorter than annotated, numeric frame
order (reg_img10 after reg_img9), an excluded emotion and sub24/EP02_07.
"""
import os
import os.path as osp

import numpy as np
import pandas as pd
import pytest

from mmmer.datasets import CASME2Dataset, DatasetLayoutError
from mmmer.datasets.annotation import AnnotationError, normalize_subject, parse_frame_value
from mmmer.datasets.casme2 import MEGC2019_EXCLUDED_CLIPS

HEADER = ['Subject', 'Filename', None, 'OnsetFrame', 'ApexFrame', 'OffsetFrame',
          None, 'Action Units', 'Estimated Emotion']

# (Subject cell, Filename, onset, apex cell, offset, AUs, emotion cell)
ROWS = [
    (1, 'EP02_01f', 46, 50, 53, 12, 'happiness'),
    ('02', 'EP01_11f', 8, 10, 12, '4+L10', ' Repression '),   # text subject, caps
    (4, 'EP12_01f', 5, '/', 9, '4', 'disgust'),               # "/" apex
    (3, 'EP01_2', 20, 22, 24, '1+2', 'surprise'),             # irregular names
    (7, 'EP06_02_01', 30, 31, 33, '14', 'others'),
    (9, 'EP09f', 7, 9, 12, '1+2+26', 'Surprise'),              # frames 7..12
    (16, 'EP01_08', 90, 93, 110, '12', 'happiness'),          # folder ends at 96
    (24, 'EP02_07', 3, 4, 6, '4+7', 'disgust'),               # MEGC2019 exclusion
    (1, 'EP03_02', 1, 2, 4, 'R15', 'fear'),
]
# frames present on disk: (subject folder, clip) -> frame numbers
FOLDERS = {
    ('sub01', 'EP02_01f'): range(46, 54),
    ('sub02', 'EP01_11f'): range(8, 13),
    ('sub04', 'EP12_01f'): range(5, 10),
    ('sub03', 'EP01_2'): range(20, 25),
    ('sub07', 'EP06_02_01'): range(30, 34),
    ('sub09', 'EP09f'): range(7, 13),
    ('sub16', 'EP01_08'): range(90, 97),
    ('sub24', 'EP02_07'): range(3, 7),
    ('sub01', 'EP03_02'): range(1, 5),
}


def write_sheet(path, rows, header=HEADER):
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for subject, clip, onset, apex, offset, aus, emotion in rows:
        sheet.append([subject, clip, None, onset, apex, offset, None, aus, emotion])
    workbook.save(path)


def make_root(root, rows=ROWS, folders=FOLDERS, frames_dir='Cropped',
              prefix='reg_img', ann_name='CASME2-coding-20140508.xlsx'):
    os.makedirs(root, exist_ok=True)
    for (subject, clip), numbers in folders.items():
        clip_dir = osp.join(root, frames_dir, subject, clip)
        os.makedirs(clip_dir, exist_ok=True)
        for n in numbers:
            # The parser only lists files; their content is not read.
            with open(osp.join(clip_dir, f'{prefix}{n}.jpg'), 'wb') as f:
                f.write(b'\xff\xd8\xff\xd9')
    if ann_name:
        write_sheet(osp.join(root, ann_name), rows)
    return str(root)


@pytest.fixture()
def root(tmp_path):
    return make_root(tmp_path / 'CASME2')


def by_clip(dataset):
    return {d['clip']: d for d in dataset.data_list}


def test_parse_default_policies(root):
    ds = CASME2Dataset(data_root=root)  # ann_file found by its official name
    samples = by_clip(ds)
    # 3-class: others and fear excluded, "/" apex dropped (MEGC2019).
    assert sorted(samples) == ['EP01_08', 'EP01_11f', 'EP01_2', 'EP02_01f',
                               'EP02_07', 'EP09f']
    assert ds.excluded_counts == {'others': 1, 'fear': 1}
    assert ds.quirk_counts['apex_dropped'] == 1
    first = samples['EP02_01f']
    assert first['subject'] == 'casme2_sub01' and first['dataset'] == 'casme2'
    assert (first['onset'], first['apex'], first['offset']) == (46, 50, 53)
    assert first['frame_numbers'] == list(range(46, 54))
    assert first['frame_paths'][0].endswith(osp.join('Cropped', 'sub01', 'EP02_01f',
                                                     'reg_img46.jpg'))
    assert first['gt_label'] == 1 and first['action_units'] == '12'
    assert first['annotation_row'] == 'CASME2-coding-20140508.xlsx row 2'
    # "02" text subject and " Repression " are normalised.
    rep = samples['EP01_11f']
    assert rep['subject'] == 'casme2_sub02' and rep['emotion'] == 'repression'
    assert rep['gt_label'] == 0
    # numeric, not lexicographic, frame order: 7, 8, 9, 10, 11, 12
    assert samples['EP09f']['frame_numbers'] == [7, 8, 9, 10, 11, 12]
    assert [osp.basename(p) for p in samples['EP09f']['frame_paths']][-3:] == \
        ['reg_img10.jpg', 'reg_img11.jpg', 'reg_img12.jpg']
    # sub16/EP01_08: folder ends at 96, sheet says 110 -> truncated and counted.
    short = samples['EP01_08']
    assert (short['onset'], short['apex'], short['offset']) == (90, 93, 96)
    assert short['annotated_offset'] == 110 and len(short['frame_paths']) == 7
    assert ds.quirk_counts['short_clip_truncated'] == 1
    assert ds.class_counts() == [2, 2, 2]
    assert ds.get_subjects() == ['casme2_sub01', 'casme2_sub02', 'casme2_sub03',
                                 'casme2_sub09', 'casme2_sub16', 'casme2_sub24']


def test_megc2019_exclusions_and_subject_forms(root):
    for pair in (MEGC2019_EXCLUDED_CLIPS[0], (24, 'EP02_07'), ('casme2_sub24', 'EP02_07')):
        ds = CASME2Dataset(data_root=root, exclude_clips=[pair])
        assert 'EP02_07' not in by_clip(ds)
        assert ds.quirk_counts['excluded_clips'] == 1
    forms = (1, '01', 'sub01', 1.0, '1.0', 'casme2_sub01', ' Sub1 ')
    assert {normalize_subject('casme2', v) for v in forms} == {'sub01'}
    assert normalize_subject('casme2', 'x1y') == 'x1y'  # not a CASME II id: kept as is
    assert parse_frame_value('46', 'w', 'c') == parse_frame_value(46.0, 'w', 'c') == \
        parse_frame_value('46.0', 'w', 'c') == 46
    assert parse_frame_value('/', 'w', 'c', allow_missing=True) is None
    with pytest.raises(AnnotationError, match="w: column 'c' holds 46.5"):
        parse_frame_value(46.5, 'w', 'c')


def test_bad_apex_policies(root):
    import logging

    from mmengine.logging import MMLogger
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        ds = CASME2Dataset(data_root=root, bad_apex='midpoint')
    finally:
        logger.removeHandler(handler)
    fixed = by_clip(ds)['EP12_01f']
    assert fixed['apex'] == (5 + 9) // 2 and ds.quirk_counts['apex_midpoint'] == 1
    # each fix is logged naming the sheet row
    fixes = [r.getMessage() for r in records if 'apex set to' in r.getMessage()]
    assert len(fixes) == 1 and 'row 4 ' in fixes[0] and 'EP12_01f' in fixes[0]
    with pytest.raises(ValueError, match=r'row 4 .*EP12_01f.*no apex'):
        CASME2Dataset(data_root=root, bad_apex='error')
    with pytest.raises(ValueError, match='bad_apex must be one of'):
        CASME2Dataset(data_root=root, bad_apex='guess')


def test_five_class_keeps_others(root):
    ds = CASME2Dataset(data_root=root, label_set='5class')
    samples = by_clip(ds)
    assert samples['EP06_02_01']['gt_label'] == ds.class_names.index('others')
    assert 'EP03_02' not in samples  # fear is not one of the 5 classes


def test_short_clip_error_policy(root):
    with pytest.raises(DatasetLayoutError, match=r'EP01_08.*holds frames 90\.\.96'):
        CASME2Dataset(data_root=root, short_clip='error')


def test_csv_sheet_and_raw_selected_layout(tmp_path):
    root = make_root(tmp_path / 'c2', frames_dir='CASME2_RAW_selected', prefix='img',
                     ann_name=None)
    table = pd.DataFrame([[s, c, '', on, ap, off, '', au, em]
                          for s, c, on, ap, off, au, em in ROWS],
                         columns=['Subject', 'Filename', 'Unnamed: 2', 'OnsetFrame',
                                  'ApexFrame', 'OffsetFrame', 'Unnamed: 6',
                                  'Action Units', 'Estimated Emotion'])
    table.to_csv(osp.join(root, 'CASME2-coding-updated.csv'), index=False)
    ds = CASME2Dataset(data_root=root, ann_file='CASME2-coding-updated.csv',
                       frames_dir='CASME2_RAW_selected')
    samples = by_clip(ds)
    assert len(samples) == 6 and samples['EP02_01f']['subject'] == 'casme2_sub01'
    assert osp.basename(samples['EP02_01f']['frame_paths'][0]) == 'img46.jpg'
    # A folder with two name patterns needs frame_prefix.
    extra = osp.join(root, 'CASME2_RAW_selected', 'sub01', 'EP02_01f', 'reg_img46.jpg')
    open(extra, 'wb').close()
    with pytest.raises(DatasetLayoutError, match='mixes frame name patterns'):
        CASME2Dataset(data_root=root, ann_file='CASME2-coding-updated.csv',
                      frames_dir='CASME2_RAW_selected')
    ds = CASME2Dataset(data_root=root, ann_file='CASME2-coding-updated.csv',
                       frames_dir='CASME2_RAW_selected', frame_prefix='img')
    assert len(by_clip(ds)['EP02_01f']['frame_paths']) == 8


def test_columns_found_by_name_in_any_order(tmp_path):
    root = make_root(tmp_path / 'c2', ann_name=None)
    order = [8, 0, 5, 1, 3, 4, 7]  # emotion, subject, offset, filename, onset, apex, AUs
    rows = [[r[i] for i in order] for r in (
        [s, c, None, on, ap, off, None, au, em] for s, c, on, ap, off, au, em in ROWS)]
    from openpyxl import Workbook
    workbook = Workbook()
    workbook.active.append([HEADER[i] for i in order])
    for row in rows:
        workbook.active.append(row)
    workbook.save(osp.join(root, 'CASME2-coding-20190701.xlsx'))
    ds = CASME2Dataset(data_root=root)
    assert by_clip(ds)['EP01_2']['apex'] == 22 and len(ds) == 6


def test_missing_root_and_annotation(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(DatasetLayoutError) as err:
        CASME2Dataset(data_root=missing)
    message = str(err.value)
    assert missing in message and 'Cropped/' in message and 'reg_img46.jpg' in message
    root = make_root(tmp_path / 'c2', ann_name=None)
    with pytest.raises(DatasetLayoutError, match='no annotation file'):
        CASME2Dataset(data_root=root)
    with pytest.raises(DatasetLayoutError, match='mine.xlsx.*does not exist'):
        CASME2Dataset(data_root=root, ann_file='mine.xlsx')
    with open(osp.join(root, 'broken.xlsx'), 'wb') as f:
        f.write(b'not a workbook')
    with pytest.raises(DatasetLayoutError, match=r'(?i)cannot read .*broken\.xlsx'):
        CASME2Dataset(data_root=root, ann_file='broken.xlsx')
    write_sheet(osp.join(root, 'nocol.xlsx'), ROWS, header=['Subject', 'Filename', None,
                'OnsetFrame', 'Apex', 'OffsetFrame', None, 'AUs', 'Feeling'])
    with pytest.raises(DatasetLayoutError, match=r"lacks the column\(s\) \['emotion'\]"):
        CASME2Dataset(data_root=root, ann_file='nocol.xlsx')
    with pytest.raises(DatasetLayoutError, match="frame folder .*Elsewhere"):
        make_root(tmp_path / 'c3')
        CASME2Dataset(data_root=str(tmp_path / 'c3'), frames_dir='Elsewhere')


@pytest.mark.parametrize('row, pattern', [
    ((1, 'EP02_01f', 46, 50, 53, '12', 'joy'), r"row 2 .*unknown emotion 'joy'"),
    ((1, 'EP02_01f', 'x46', 50, 53, '12', 'happiness'), r"row 2 .*'OnsetFrame' holds 'x46'"),
    ((1, 'EP02_01f', 46, '5a', 53, '12', 'happiness'), r"row 2 .*'ApexFrame' holds '5a'"),
    ((1, 'EP02_01f', 53, 50, 46, '12', 'happiness'), r'row 2 .*onset 53 is after offset'),
    ((1, 'EP02_01f', 46, 60, 53, '12', 'happiness'), r'row 2 .*apex 60 outside'),
    ((None, 'EP02_01f', 46, 50, 53, '12', 'happiness'), r'row 2 .*Subject and Filename'),
])
def test_malformed_rows_name_the_row(tmp_path, row, pattern):
    root = make_root(tmp_path / 'c2', rows=[row])
    with pytest.raises(ValueError, match=pattern):
        CASME2Dataset(data_root=root)


def test_apex_out_of_range_policy_and_missing_frames(tmp_path):
    rows = [(1, 'EP02_01f', 46, 60, 53, '12', 'happiness')]
    root = make_root(tmp_path / 'c2', rows=rows)
    ds = CASME2Dataset(data_root=root, apex_out_of_range='midpoint')
    assert ds.data_list[0]['apex'] == (46 + 53) // 2
    assert len(CASME2Dataset(data_root=root, apex_out_of_range='drop')) == 0
    # the apex file missing inside the folder's range: always an error
    folders = {('sub01', 'EP02_01f'): [46, 47, 48, 51, 52, 53]}
    root = make_root(tmp_path / 'c3', rows=[(1, 'EP02_01f', 46, 50, 53, '12', 'happiness')],
                     folders=folders)
    expected = osp.join(root, 'Cropped', 'sub01', 'EP02_01f', 'reg_img50.jpg')
    with pytest.raises(DatasetLayoutError, match='apex frame 50 is missing') as err:
        CASME2Dataset(data_root=root)
    assert expected in str(err.value)
    # a gap that spares onset/apex/offset is tolerated, counted
    root = make_root(tmp_path / 'c4', rows=[(1, 'EP02_01f', 46, 48, 53, '12', 'happiness')],
                     folders=folders)
    ds = CASME2Dataset(data_root=root)
    assert ds.data_list[0]['frame_numbers'] == [46, 47, 48, 51, 52, 53]
    assert ds.quirk_counts['clips_with_frame_gaps'] == 1
    # the clip folder itself missing
    root = make_root(tmp_path / 'c5', rows=[(2, 'EP02_01f', 46, 48, 53, '12', 'happiness')],
                     folders=folders)
    with pytest.raises(DatasetLayoutError, match=r"clip folder .*sub02.*EP02_01f.* does not"):
        CASME2Dataset(data_root=root)


def test_subject_selection_uses_namespaced_ids(root):
    ds = CASME2Dataset(data_root=root, subjects=['casme2_sub01', 'casme2_sub09'])
    assert sorted(by_clip(ds)) == ['EP02_01f', 'EP09f']
    assert np.array_equal(ds.get_gt_labels(), [1, 2])


def test_megc2019_sheet_gives_the_145_sample_3class_set(tmp_path):
    # An independent fixture of the whole 255-row 20140508 sheet
    # (tests/fixtures/me_layouts.py, counts of the MEGC2019 3DB table).
    from collections import Counter

    from tests.fixtures.me_layouts import CASME2_3DB, build_casme2
    info = build_casme2(str(tmp_path / 'casme2'))
    ds = CASME2Dataset(data_root=info['root'], exclude_clips=MEGC2019_EXCLUDED_CLIPS)
    assert info['num_rows'] == 255
    assert len(ds) == 145 and ds.class_counts() == [88, 32, 25]
    per_subject = Counter(d['subject'] for d in ds.data_list)
    assert per_subject == {f'casme2_{s}': n for s, n in CASME2_3DB.items()}
    assert ds.quirk_counts['apex_dropped'] == 1 and ds.quirk_counts['excluded_clips'] == 1
    assert sum(ds.excluded_counts.values()) == 255 - 147


def test_flip_expansion_option_matches_wrapper(root):
    from mmmer.datasets import FlipExpandedDataset
    from mmmer.datasets.transforms import ExpansionFlip

    fold = dict(data_root=root, exclude_subjects=['casme2_sub09'])
    wrapped = FlipExpandedDataset(dict(type='CASME2Dataset', **fold),
                                  expand_classes=('positive', 'surprise'))
    ds = CASME2Dataset(flip_expansion=dict(classes=('positive', 'surprise')), **fold)
    plain = CASME2Dataset(**fold)
    n = len(plain)
    positives_surprises = [i for i, d in enumerate(plain.data_list) if d['gt_label'] in (1, 2)]
    # synthetic ground truth: originals, then one copy per positive/surprise
    assert len(positives_surprises) == 3 and len(ds) == n + 3 == len(wrapped)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert infos == [wrapped.get_data_info(i) for i in range(len(wrapped))]
    assert [d['flip_expanded'] for d in infos] == [False] * n + [True] * 3
    for copy_info, i in zip(infos[n:], positives_surprises):
        assert copy_info['sample_idx'] == i
        assert copy_info['clip'] == plain.data_list[i]['clip']
    assert ds.get_gt_labels().tolist() == wrapped.get_gt_labels().tolist()
    assert ds.class_counts() == wrapped.class_counts() == [2, 2 * 2, 1 * 2]
    assert ds.get_subjects() == plain.get_subjects()
    # class ids work as names do; the copy is mirrored by ExpansionFlip
    by_id = CASME2Dataset(flip_expansion=dict(classes=(1, 2)), **fold)
    assert [by_id.get_data_info(i) for i in range(len(by_id))] == infos
    img = np.arange(12, dtype=np.float32).reshape(2, 6)
    out = ExpansionFlip(keys=('img', ))(dict(infos[n], img=img))
    assert np.array_equal(out['img'], img[:, ::-1]) and out['flip'] is True


def test_flip_expansion_refused_in_test_mode_and_unknown_class(root):
    with pytest.raises(ValueError, match='test_mode'):
        CASME2Dataset(data_root=root, test_mode=True,
                      flip_expansion=dict(classes=('positive', )))
    with pytest.raises(ValueError, match="'angry'"):
        CASME2Dataset(data_root=root, flip_expansion=dict(classes=('angry', )))
    with pytest.raises(ValueError, match='single key'):
        CASME2Dataset(data_root=root, flip_expansion=('positive', ))


def test_missing_clips_policy_like_the_other_parsers(tmp_path):
    rows = [(1, 'EP02_01f', 46, 48, 53, '12', 'happiness'),
            (2, 'EP09f', 7, 9, 12, '1+2', 'surprise')]         # no folder for sub02
    root = make_root(tmp_path / 'c2', rows=rows,
                     folders={('sub01', 'EP02_01f'): range(46, 54)})
    with pytest.raises(DatasetLayoutError, match=r"(?s)1 annotated clip.*sub02.EP09f. does not exist.*missing_clips=.skip."):
        CASME2Dataset(data_root=root)
    assert [d['clip'] for d in CASME2Dataset(data_root=root, missing_clips='skip').data_list] \
        == ['EP02_01f']
    kept = by_clip(CASME2Dataset(data_root=root, missing_clips='keep'))
    assert kept['EP09f']['frame_paths'] == [] and kept['EP09f']['clip_dir'] is None
    assert len(kept['EP02_01f']['frame_paths']) == 8
    with pytest.raises(ValueError, match='missing_clips must be one of'):
        CASME2Dataset(data_root=root, missing_clips='ignore')
