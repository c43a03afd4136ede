"""The offline preprocessing cache: reuse, invalidation, errors, workers."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmmer.datasets.preprocessing import PreprocessingError, run_preprocessing

# LoadKeyFrames -> a cheap mean-difference "motion" map: exercises real file
# loading without dlib/TV-L1 (those have their own tests).
PIPELINE = [dict(type='LoadKeyFrames', keys=('onset', 'apex')),
            dict(type='ToyFrameDiff')]


def make_samples(root, n=3, size=32):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(n):
        clip = osp.join(root, f'sub{i:02d}', 'EP01')
        os.makedirs(clip, exist_ok=True)
        paths = []
        for f in (10, 11, 12):
            p = osp.join(clip, f'img{f}.jpg')
            cv2.imwrite(p, rng.integers(0, 255, (size, size, 3), dtype=np.uint8))
            paths.append(p)
        samples.append(dict(dataset='toy', subject=f'toy_sub{i:02d}', clip='EP01',
                            frame_paths=paths, frame_numbers=[10, 11, 12],
                            onset=10, apex=11, offset=12, emotion='happiness',
                            gt_label=1))
    return samples


@pytest.fixture()
def samples(tmp_path):
    import mmmer.datasets  # noqa: F401
    import tests.fixtures.toy  # noqa: F401  (registers ToyFrameDiff)
    return make_samples(str(tmp_path / 'frames'))


def cfg(tmp_path, **kw):
    return dict(pipeline=PIPELINE, keys=('img',), cache_dir=str(tmp_path / 'cache'), **kw)


def test_cache_written_then_reused(tmp_path, samples):
    out = run_preprocessing(samples, cfg(tmp_path), progress=False)
    paths = [d['cache_path'] for d in out]
    assert all(osp.exists(p) for p in paths)
    mtimes = [os.stat(p).st_mtime_ns for p in paths]
    again = run_preprocessing([dict(d) for d in samples], cfg(tmp_path), progress=False)
    assert [d['cache_path'] for d in again] == paths
    assert [os.stat(p).st_mtime_ns for p in paths] == mtimes
    with np.load(paths[0]) as z:
        assert z['img'].shape == (4, 4, 3)


def test_changed_config_or_changed_file_invalidates(tmp_path, samples):
    first = [d['cache_path'] for d in run_preprocessing(samples, cfg(tmp_path), progress=False)]
    other = cfg(tmp_path)
    other['pipeline'] = [dict(type='LoadKeyFrames', keys=('onset', 'offset')),
                         dict(type='ToyFrameDiff')]
    second = [d['cache_path'] for d in run_preprocessing(
        [dict(d) for d in samples], other, progress=False)]
    assert set(first).isdisjoint(second)
    # Rewriting one frame changes only that sample's key.
    p = samples[1]['frame_paths'][1]
    cv2.imwrite(p, np.zeros((32, 32, 3), np.uint8))
    third = [d['cache_path'] for d in run_preprocessing(
        [dict(d) for d in samples], cfg(tmp_path), progress=False)]
    assert third[0] == first[0] and third[2] == first[2] and third[1] != first[1]


def test_missing_frame_names_sample_and_keeps_the_rest(tmp_path, samples):
    os.remove(samples[1]['frame_paths'][1])
    with pytest.raises(PreprocessingError) as e:
        run_preprocessing(samples, cfg(tmp_path), progress=False)
    msg = str(e.value)
    assert 'toy_sub01/EP01' in msg and 'img11.jpg' in msg
    assert osp.exists(samples[0]['cache_path']) and osp.exists(samples[2]['cache_path'])
    kept = run_preprocessing([dict(d) for d in samples], cfg(tmp_path, on_error='skip'),
                             progress=False)
    assert [d['subject'] for d in kept] == ['toy_sub00', 'toy_sub02']


def test_unreadable_image_is_named(tmp_path, samples):
    with open(samples[0]['frame_paths'][0], 'wb') as f:
        f.write(b'not a jpeg')
    with pytest.raises(PreprocessingError, match=r'toy_sub00/EP01.*img10\.jpg'):
        run_preprocessing(samples, cfg(tmp_path), progress=False)


def test_two_workers_give_identical_arrays(tmp_path, samples):
    one = run_preprocessing([dict(d) for d in samples], cfg(tmp_path / 'a'), progress=False)
    two = run_preprocessing([dict(d) for d in samples], cfg(tmp_path / 'b', workers=2),
                            progress=False)
    for a, b in zip(one, two):
        with np.load(a['cache_path']) as x, np.load(b['cache_path']) as y:
            np.testing.assert_array_equal(x['img'], y['img'])
