"""SMICDataset on a fake SMIC-HS tree (labels from folders, optional sheet)
and on a fake SMIC-HS-E release (recordings + interval sheet)."""
import os
import os.path as osp
import shutil
from collections import Counter

import pytest
from mmengine.config import Config

from mmmer.datasets import DatasetLayoutError, SMICDataset
from mmmer.datasets.annotation import AnnotationError
from mmmer.registry import DATASETS
from mmmer.utils import register_all_modules
from tests.fixtures.me_layouts import (SMIC_E_SHEET, build_smic, build_smic_e, set_cell,
                                       subject_counts, three_db_subject_counts, write_xlsx)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def smic(tmp_path_factory):
    return build_smic(str(tmp_path_factory.mktemp('smic')))


def test_counts_and_subjects(smic):
    ds = SMICDataset(data_root=smic['root'])
    assert len(ds) == 164
    assert ds.class_counts() == [70, 51, 43]
    # HTNet's padded ids (s01) and the folders' unpadded ones (s1) agree
    found = subject_counts(ds.data_list)
    assert found == three_db_subject_counts(('smic', )) and len(found) == 16
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


# ------------------------------------------------------------------ SMIC-HS-E
@pytest.fixture(scope='module')
def smic_e(tmp_path_factory):
    return build_smic_e(str(tmp_path_factory.mktemp('smic_e')))


def _copy(smic_e, tmp_path):
    root = str(tmp_path / 'smic_e')
    shutil.copytree(smic_e['root'], root)
    return root, osp.join(root, 'HS_long', SMIC_E_SHEET)


def test_hs_e_one_sample_per_interval(smic_e):
    ds = SMICDataset(variant='hs_e', data_root=smic_e['root'])
    intervals = smic_e['intervals']
    # rows with one, two and three intervals; 16 subjects x 3 recordings
    per_row = Counter(Counter((k[0], v[3]) for k, v in intervals.items()).values())
    assert set(per_row) == {1, 2, 3} and sum(per_row.values()) == 48
    assert len(ds) == len(intervals) == 96
    by_class = Counter(v[0] for v in intervals.values())
    assert ds.class_counts() == [by_class['negative'], by_class['positive'],
                                 by_class['surprise']]
    assert len(ds.get_subjects()) == 16 and 'smic_s1' in ds.get_subjects()
    # Onset2F/Offset2F filled without TotalMF2: not a sample
    s, name, (on, off) = smic_e['unused']
    assert not any(d['recording'] == name and d['onset'] == on for d in ds.data_list)


def test_hs_e_intervals_apex_and_frames(smic_e):
    ds = SMICDataset(variant='hs_e', data_root=smic_e['root'])
    seen = set()
    for d in ds.data_list:
        key = (d['subject'][len('smic_'):], d['clip'])
        emotion, onset, offset, recording, k = smic_e['intervals'][key]
        seen.add(key)
        assert (d['onset'], d['offset'], d['interval'], d['recording']) == (
            onset, offset, k, recording)
        assert d['apex'] == (onset + offset) // 2  # the sheet has no apex
        assert d['emotion'] == emotion and ds.class_names[d['gt_label']] == emotion
        # whole recordings: only onset..offset of the folder is the sample
        assert d['frame_numbers'] == list(range(onset, offset + 1))
        assert osp.basename(d['frame_paths'][0]) == f'image{onset:06d}.jpg'
        assert d['trimmed_clip'] is False
        n = int(key[0][1:])
        folder = f's{n}' if n == 9 else f's{n:02d}'  # s9 is unpadded in the fixture
        assert d['clip_dir'] == osp.join(smic_e['root'], 'HS_long', 'SMIC-HS-E', folder,
                                         recording)
        assert d['annotation_row'] == (
            f'{SMIC_E_SHEET} row {smic_e["rows"][(key[0], recording)]}, interval {k}')
    assert seen == set(smic_e['intervals'])


def test_hs_e_bad_rows_are_named(smic_e, tmp_path):
    root, sheet = _copy(smic_e, tmp_path)
    (s, name), row = sorted(smic_e['rows'].items(), key=lambda kv: kv[1])[1]
    two = [v for k, v in smic_e['intervals'].items() if k[0] == s and v[3] == name]
    assert len(two) >= 2  # the fixture's second row has two intervals
    set_cell(sheet, row, 'Offset2F', two[1][1] - 1)
    with pytest.raises(AnnotationError,
                       match=rf'row {row}, interval 2 \({s}/{name}\): Onset2F .* after'):
        SMICDataset(variant='hs_e', data_root=root)
    # the broken interval can be excluded by its clip id
    clip = f'{name}_{two[1][1]}'
    ds = SMICDataset(variant='hs_e', data_root=root, exclude_clips=[(s, clip)])
    assert len(ds) == 95 and (f'smic_{s}', clip) not in {
        (d['subject'], d['clip']) for d in ds.data_list}
    set_cell(sheet, row, 'Offset2F', two[1][2])
    set_cell(sheet, row, 'OnsetF', 'x12')
    with pytest.raises(AnnotationError, match=f"row {row}, interval 1.*'OnsetF'"):
        SMICDataset(variant='hs_e', data_root=root)
    set_cell(sheet, row, 'OnsetF', two[0][1])
    set_cell(sheet, row, 'LastF', two[1][2] - 1)
    with pytest.raises(AnnotationError, match=f'row {row}, interval 2.*outside.*LastF'):
        SMICDataset(variant='hs_e', data_root=root)
    set_cell(sheet, row, 'LastF', two[1][2] + 20)
    set_cell(sheet, row, 'Emotion', 'happiness')
    with pytest.raises(AnnotationError, match=f"row {row}.*unknown emotion 'happiness'"):
        SMICDataset(variant='hs_e', data_root=root)


def test_hs_e_layout_errors_name_the_tree(smic_e, tmp_path):
    root, sheet = _copy(smic_e, tmp_path)
    # another sheet of the release, not the default one
    os.rename(sheet, osp.join(root, 'HS_long', 'SMIC-HS-E_annotation.xlsx'))
    with pytest.raises(DatasetLayoutError,
                       match=r'SMIC-HS-E_annotation_2019.xlsx.*found.*SMIC-HS-E_annotation.xlsx'):
        SMICDataset(variant='hs_e', data_root=root)
    ds = SMICDataset(variant='hs_e', data_root=root, ann_file='HS_long/SMIC-HS-E_annotation.xlsx')
    assert len(ds) == 96
    frames = osp.join(root, 'HS_long', 'SMIC-HS-E')
    os.rename(frames, frames + '_moved')
    with pytest.raises(DatasetLayoutError, match=r'SMIC-HS-E frame folder not found.*'
                       r's01/<Filename>/image012345\.jpg'):
        SMICDataset(variant='hs_e', data_root=root, ann_file='HS_long/SMIC-HS-E_annotation.xlsx')
    with pytest.raises(ValueError, match="variant must be one of.*'hs_e'"):
        SMICDataset(variant='e', data_root=root)


def test_hs_e_missing_recording_and_frames(smic_e, tmp_path):
    root, _ = _copy(smic_e, tmp_path)
    (s, clip), (_, onset, offset, name, _) = next(iter(smic_e['intervals'].items()))
    rec = osp.join(root, 'HS_long', 'SMIC-HS-E', f's{int(s[1:]):02d}', name)
    for n in range(onset, offset + 1):
        os.remove(osp.join(rec, f'image{n:06d}.jpg'))
    with pytest.raises(DatasetLayoutError, match=f'(?s)1 annotated interval.*smic_{s}/{clip}'):
        SMICDataset(variant='hs_e', data_root=root)
    ds = SMICDataset(variant='hs_e', data_root=root, missing_clips='skip')
    assert len(ds) == 95
    shutil.rmtree(rec)
    n_rec = sum(1 for v in smic_e['intervals'].values() if v[3] == name)
    with pytest.raises(DatasetLayoutError,
                       match=f'(?s){n_rec} annotated clip.*no frame folder.*{name}'):
        SMICDataset(variant='hs_e', data_root=root)
    assert len(SMICDataset(variant='hs_e', data_root=root, missing_clips='skip')) == 96 - n_rec


def test_hs_e_configs_build_the_dataset(smic_e):
    register_all_modules()
    base = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/smic_hs_e.py'))
    edmdbn = Config.fromfile(osp.join(REPO, 'configs/edmdbn/swin_aa_smic-hs-e.py'))
    hs = Config.fromfile(osp.join(REPO, 'configs/edmdbn/swin_aa_smic.py'))
    fields = ('type', 'variant', 'data_root', 'frames_dir', 'ann_file', 'label_set')
    for loader in ('train_dataloader', 'test_dataloader'):
        ours, theirs = base[loader].dataset, edmdbn[loader].dataset
        assert {k: ours[k] for k in fields} == {k: theirs[k] for k in fields}
        assert ours.preprocess.cache_dir == theirs.preprocess.cache_dir == \
            'data/smic_e/.mmmer_cache'
        # the EDMDBN config changes only the dataset of swin_aa_smic.py
        assert theirs.pipeline == hs[loader].dataset.pipeline
        assert theirs.preprocess.pipeline == hs[loader].dataset.preprocess.pipeline
    assert edmdbn.model == hs.model and edmdbn.loso == hs.loso
    assert base.expected_counts is None and edmdbn.expected_counts is None
    cfg = base.train_dataloader.dataset.to_dict()
    cfg.update(data_root=smic_e['root'], pipeline=[])
    cfg.pop('preprocess')
    ds = DATASETS.build(cfg)
    assert isinstance(ds, SMICDataset) and len(ds) == 96
