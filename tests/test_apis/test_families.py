"""Every method family runs through inference_model with its synthetic twin
config, and the clip preprocessing equals the dataset's (cache) route."""
import argparse
import copy
import warnings

import numpy as np
import pytest
import torch

from .synthetic_clips import generator_options, make_clips

FAMILIES = {
    # config: (cfg options shrinking the model, expected input shape)
    'configs/htnet/htnet_synthetic.py': (
        ['model.backbone.dim=32', 'model.head.in_channels=128'], (3, 28, 28)),
    'configs/ahmsa/ahmsa_synthetic.py': (
        ['model.backbone.dim=32', 'model.head.in_channels=128'], (3, 28, 28)),
    'configs/edmdbn/swin_aa_synthetic.py': ([], (3, 9, 112, 112)),
    'configs/shufflenet/shufflenetv2_vit_svm_synthetic.py': ([], (3, 112, 112)),
}


def parse(opts):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser()
    p.add_argument('--o', nargs='+', action=DictAction)
    return p.parse_args(['--o', *opts]).o if opts else {}


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('families'))
    return root, make_clips(root, num_subjects=1, clips_per_class=1, seed=3)


def untrained(config, extra=()):
    from mmmer.apis import init_model
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return init_model(config, None, cfg_options=parse(list(extra)))


@pytest.mark.parametrize('config', list(FAMILIES))
def test_family_runs_through_inference_model(config, data):
    from mmmer.apis import inference_model
    from mmmer.apis.inference import inference_clips
    opts, shape = FAMILIES[config]
    model = untrained(config, opts)
    _, clips = data
    c = clips[0]
    res = inference_model(model, c['onset_path'], c['apex_path'], c['offset_path'])
    assert res.pred_score.shape == (3, )
    assert res.pred_class in ('negative', 'positive', 'surprise')
    assert res.pred_class == res.classes[int(res.pred_label)]
    item = inference_clips(model, [dict(onset=c['onset_path'], apex=c['apex_path'],
                                        offset=c['offset_path'])])[0]
    assert tuple(item['inputs'].shape) == shape
    # BGR arrays give the same prediction as the files
    import cv2
    arrays = inference_model(model, cv2.imread(c['onset_path']), cv2.imread(c['apex_path']),
                             cv2.imread(c['offset_path']))
    torch.testing.assert_close(arrays.pred_score, res.pred_score)


@pytest.mark.parametrize('config', ['configs/htnet/htnet_synthetic.py',
                                    'configs/edmdbn/swin_aa_synthetic.py',
                                    'configs/shufflenet/shufflenetv2_vit_svm_synthetic.py'])
def test_clip_input_equals_the_dataset_cache_route(config, data):
    """The model input made from the frames in memory is the one the test
    dataloader reads from the preprocessing cache for the same clip."""
    from mmengine.config import Config

    from mmmer.apis.pipeline import ClipPipeline
    from mmmer.datasets.builder import build_dataset, innermost_dataset_cfg
    root, clips = data
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(parse(generator_options('test_dataloader', root, 1, 1, 3)))
    ds_cfg = copy.deepcopy(innermost_dataset_cfg(cfg.test_dataloader.dataset))
    dataset = build_dataset(ds_cfg)
    pipeline = ClipPipeline(cfg)
    assert len(dataset) == len(clips) == 3
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        c = next(c for c in clips if c['clip'] == info['clip'])
        expected = dataset[i]['inputs']
        got = pipeline.run(dict(onset=c['onset_path'], apex=c['apex_path'],
                                offset=c['offset_path']))['inputs']
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)


def test_flow_folder_config_takes_flow_images_and_warns_on_frames(data, tmp_path):
    """A flow-image config reads a flow PNG + apex face; fed raw frames it
    computes the flow itself and says that this is another estimator."""
    import cv2

    from mmmer.apis import FLOW_ESTIMATOR_WARNING, inference_flow_image, inference_model
    model = untrained('configs/htnet/htnet_3db.py',
                      ['model.backbone.dim=32', 'model.backbone.block_repeats=[1,1,1]',
                       'model.head.in_channels=128'])
    _, clips = data
    c = clips[0]
    # a flow image in HTNet's layout: 28x28, planes B, G, R = strain, v, u
    rng = np.random.default_rng(0)
    flow_png = str(tmp_path / 'sample .png')
    cv2.imwrite(flow_png, rng.integers(0, 256, (28, 28, 3), dtype=np.uint8))
    face = str(tmp_path / 'apex.jpg')
    cv2.imwrite(face, cv2.resize(cv2.imread(c['apex_path']), (224, 224)))
    res = inference_flow_image(model, flow_png, face)
    assert res.pred_score.shape == (3, ) and res.input_mode == 'flow_image'
    with pytest.warns(UserWarning, match='different flow estimator'):
        res2 = inference_model(model, c['onset_path'], c['apex_path'])
    assert res2.input_mode == 'frames'
    assert 'different flow estimator' in FLOW_ESTIMATOR_WARNING
