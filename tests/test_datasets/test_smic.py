"""SMICDataset on a fake SMIC-HS tree (labels from folders, optional sheet)."""
import os
import os.path as osp
import shutil

import pytest

from mmmer.datasets import DatasetLayoutError, SMICDataset
from mmmer.datasets.annotation import AnnotationError
from tests.fixtures.me_layouts import SMIC_3DB, build_smic, write_xlsx


@pytest.fixture(scope='module')
def smic(tmp_path_factory):
    return build_smic(str(tmp_path_factory.mktemp('smic')))


def test_counts_and_subjects(smic):
    ds = SMICDataset(data_root=smic['root'])
    assert len(ds) == 164
    assert ds.class_counts() == [70, 51, 43]
    # HTNet's padded ids (s01) and the folders' unpadded ones (s1) agree
    expected = {f'smic_s{int(k[1:])}': v for k, v in SMIC_3DB.items()}
    found = {}
    for d in ds.data_list:
        found[d['subject']] = found.get(d['subject'], 0) + 1
    assert found == expected and len(found) == 16
    assert not ds.excluded_counts


def test_labels_onset_offset_apex_from_folders(smic):
    ds = SMICDataset(data_root=smic['root'])
    assert not any('non_micro' in p for d in ds.data_list for p in d['frame_paths'])
    for d in ds.data_list:
        emo, start, end = smic['clips'][(d['subject'][5:], d['clip'])]
        assert d['emotion'] == emo and ds.class_names[d['gt_label']] == emo
        assert (d['onset'], d['offset']) == (start, end)
        assert d['apex'] == start + (end - start) // 2
        assert d['frame_numbers'] == list(range(start, end + 1))
        assert osp.basename(d['frame_paths'][0]) == f'image{start:06d}.bmp'


def test_user_sheet_overrides_onset_offset(smic, tmp_path):
    sheet = str(tmp_path / 'smic.xlsx')
    (s, clip), (emo, start, end) = next(iter(smic['clips'].items()))
    other = [(k, v) for k, v in smic['clips'].items() if k != (s, clip)][0]
    write_xlsx(sheet, {'Sheet1': [
        [None, 'subject', 'material', 'emotion', 'onset', 'offset'],
        [0, s, clip, emo, start + 1, end],
        [1, other[0][0], other[0][1], other[1][0], other[1][1], other[1][2]],
    ]})
    ds = SMICDataset(data_root=smic['root'], ann_file=sheet)
    assert len(ds) == 2
    d = ds.data_list[0]
    assert (d['onset'], d['apex'], d['offset']) == (start + 1, start + 1 + (end - start - 1) // 2,
                                                    end)
    assert d['frame_numbers'] == list(range(start + 1, end + 1))
    # a sheet emotion that contradicts the folder names the row
    write_xlsx(sheet, {'Sheet1': [
        [None, 'subject', 'material', 'emotion', 'onset', 'offset'],
        [0, s, clip, 'surprise' if emo != 'surprise' else 'negative', start, end]]})
    with pytest.raises(AnnotationError, match='row 2'):
        SMICDataset(data_root=smic['root'], ann_file=sheet)
    write_xlsx(sheet, {'Sheet1': [
        [None, 'subject', 'material', 'emotion', 'onset', 'offset'],
        [0, s, clip, 'happy', start, end]]})
    with pytest.raises(AnnotationError, match="row 2.*unknown emotion 'happy'"):
        SMICDataset(data_root=smic['root'], ann_file=sheet)
    write_xlsx(sheet, {'Sheet1': [
        [None, 'subject', 'material', 'emotion', 'onset', 'offset'],
        [0, s, clip, emo, 'x12', end]]})
    with pytest.raises(AnnotationError, match="row 2.*'onset'"):
        SMICDataset(data_root=smic['root'], ann_file=sheet)


def test_misplaced_clip_and_unknown_class_folder(smic, tmp_path):
    root = tmp_path / 'smic'
    shutil.copytree(smic['root'], root)
    micro = root / 'HS' / 's1' / 'micro'
    ne_clip = sorted(os.listdir(micro / 'negative'))[0]
    shutil.move(str(micro / 'negative' / ne_clip), str(micro / 'positive' / ne_clip))
    with pytest.raises(DatasetLayoutError, match=f"{ne_clip}.*'positive'"):
        SMICDataset(data_root=str(root))
    shutil.move(str(micro / 'positive' / ne_clip), str(micro / 'negative' / ne_clip))
    (micro / 'happy').mkdir()
    with pytest.raises(DatasetLayoutError, match="unknown class folder 'happy'"):
        SMICDataset(data_root=str(root))


def test_missing_root(tmp_path):
    with pytest.raises(DatasetLayoutError, match='nowhere.*micro'):
        SMICDataset(data_root=str(tmp_path / 'nowhere'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DatasetLayoutError, match='HS.*Expected layout'):
        SMICDataset(data_root=str(tmp_path / 'empty'))
