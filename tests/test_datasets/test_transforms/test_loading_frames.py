"""LoadKeyFrames: key-frame lookup by frame number, colour, and bad input."""
import os.path as osp

import cv2
import numpy as np
import pytest

from mmmer.datasets.transforms import LoadKeyFrames
from mmmer.registry import TRANSFORMS


def _clip(tmp_path, numbers=(101, 102, 103, 104), gray=False):
    rng = np.random.default_rng(0)
    paths, images = [], {}
    for n in numbers:
        shape = (12, 16) if gray else (12, 16, 3)
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        path = osp.join(str(tmp_path), f'img{n}.png')
        cv2.imwrite(path, img)  # written as BGR
        paths.append(path)
        images[n] = img
    results = dict(subject='casme2_sub01', clip='EP02_01f', frame_paths=paths,
                   frame_numbers=list(numbers), onset=numbers[0],
                   apex=numbers[2], offset=numbers[-1])
    return results, images


def test_loads_key_frames_in_order_as_rgb(tmp_path):
    results, images = _clip(tmp_path)
    out = TRANSFORMS.build(dict(type='LoadKeyFrames', keys=('apex', 'onset')))(results)
    assert out['frame_ids'] == [103, 101]
    assert out['img_shape'] == (12, 16)
    for frame, n in zip(out['frames'], (103, 101)):
        assert frame.dtype == np.uint8 and frame.shape == (12, 16, 3)
        # File holds BGR; RGB output is the channel reverse of what was written.
        np.testing.assert_array_equal(frame, images[n][..., ::-1])
    bgr = LoadKeyFrames(keys=('offset', ), color='bgr')(_clip(tmp_path)[0])
    np.testing.assert_array_equal(bgr['frames'][0], images[104])


def test_grayscale_frames_repeated_to_three_channels(tmp_path):
    results, images = _clip(tmp_path, gray=True)
    out = LoadKeyFrames()(results)
    for frame, n in zip(out['frames'], (101, 103)):
        assert frame.shape == (12, 16, 3)
        for c in range(3):
            np.testing.assert_array_equal(frame[..., c], images[n])


def test_missing_file_names_sample_and_path(tmp_path):
    results, _ = _clip(tmp_path)
    missing = results['frame_paths'][2]
    import os
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as e:
        LoadKeyFrames()(results)
    assert 'casme2_sub01/EP02_01f' in str(e.value) and missing in str(e.value)


def test_frame_number_without_file(tmp_path):
    results, _ = _clip(tmp_path)
    results['apex'] = 150
    results['offset'] = 200
    with pytest.raises(FileNotFoundError, match=r'casme2_sub01/EP02_01f.*apex frame 150'):
        LoadKeyFrames()(results)


def test_unreadable_image_names_file(tmp_path):
    results, _ = _clip(tmp_path)
    bad = results['frame_paths'][0]
    with open(bad, 'wb') as f:
        f.write(b'this is not a png')
    with pytest.raises(ValueError) as e:
        LoadKeyFrames()(results)
    assert bad in str(e.value) and 'casme2_sub01/EP02_01f' in str(e.value)


@pytest.mark.parametrize('apex', [100, 105])
def test_apex_outside_onset_offset(tmp_path, apex):
    results, _ = _clip(tmp_path)
    results['apex'] = apex
    with pytest.raises(ValueError, match=r'casme2_sub01/EP02_01f.*apex %d' % apex):
        LoadKeyFrames()(results)


def test_bad_arguments():
    with pytest.raises(ValueError):
        LoadKeyFrames(keys=('peak', ))
    with pytest.raises(ValueError):
        LoadKeyFrames(color='hsv')
