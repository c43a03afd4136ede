"""Official HTNet / EDMDBN weights -> mmmer checkpoints (tools/model_converters).

The reference for every number is an independent re-derivation of the
official module layout (tests/fixtures/official_layouts.py): random weights in
the official key layout, converted, loaded strictly into mmmer's model built
from the shipped config (shrunk with config overrides), must give the official
network's logits within 1e-4. The full-size key sets are checked on the
``meta`` device (no memory, no forward) against the pinned parameter counts.
"""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmmer.models.utils.official_checkpoints import (ORACLE_SELECTION,
                                                     OfficialCheckpointError,
                                                     check_strict_match,
                                                     convert_edmdbn_official,
                                                     convert_htnet_official,
                                                     htnet_official_subject)
from tests.fixtures.official_layouts import (OfficialHTNet, OfficialLitModule,
                                             lightning_checkpoint)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HTNET_CFG = osp.join(ROOT, 'configs', 'htnet', 'htnet_3db.py')
EDMDBN_CFG = osp.join(ROOT, 'configs', 'edmdbn', 'swin_aa_casme2.py')
TOOLS = osp.join(ROOT, 'tools', 'model_converters')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'converter_{name}',
                                                  osp.join(TOOLS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(config, options):
    import mmmer.models  # noqa: F401
    from mmmer.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    return MODELS.build(cfg.model).eval()


def randomise(model, seed):
    """Random weights of a useful scale: norm gains near 1, small biases,
    matrices / kernels with std 1.5 / sqrt(fan-in)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith(('.g', 'norm.weight', 'norm1.weight', 'norm2.weight')):
                p.copy_(1 + 0.1 * noise)
            elif p.dim() > 1 and 'relative_position' not in name and p[0].numel() > 1:
                p.copy_(noise * 1.5 / p[0].numel() ** 0.5)
            else:
                p.copy_(0.1 * noise)
    return model.eval()


def htnet_options(image, dim, reps):
    return [f'model.backbone.image_size={image}', f'model.backbone.dim={dim}',
            f'model.backbone.block_repeats={list(reps)}', f'model.head.in_channels={4 * dim}']


def as_dict(options):
    return {k: eval(v) if v[0] in '[(0123456789' else v  # noqa: S307 (test literals)
            for k, v in (o.split('=', 1) for o in options)}


# ------------------------------------------------------------------ HTNet
@pytest.mark.parametrize('image,reps,order', [
    (56, (1, 2, 1), 'file'),   # 8x8 patches: 4-token windows, real softmax attention
    (28, (1, 1, 2), 'uvs'),    # official geometry: 1-token windows, 2x2 aggregate GEMM
])
def test_htnet_logits_match_official_layout(tmp_path, image, reps, order):
    official = randomise(OfficialHTNet(image_size=image, dim=16, heads=3, block_repeats=reps), 0)
    src = str(tmp_path / 'sub01.pth')
    torch.save(official.state_dict(), src)
    dst = str(tmp_path / 'converted.pth')
    opts = htnet_options(image, 16, reps)
    load_tool('htnet_official').main([src, dst, '--input-order', order, '--cfg-options', *opts])

    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['input_order'] == order
    model = build(HTNET_CFG, as_dict(opts))
    model.load_state_dict(ckpt['state_dict'], strict=True)
    x = torch.rand(5, 3, image, image, generator=torch.Generator().manual_seed(1)) * 255
    with torch.no_grad():
        want = official(x)  # the official code feeds the file's (strain, v, u) planes
        got = model(x.flip(1) if order == 'uvs' else x, mode='tensor')
    assert want.std(dim=0).min() > 1e-2  # logits depend on the input
    torch.testing.assert_close(got, want, atol=1e-4, rtol=0)


def test_htnet_full_size_key_set_and_parameter_count():
    with torch.device('meta'):
        official = OfficialHTNet()  # image 28, patch 7, dim 256, heads 3, (2, 2, 10)
        model = build(HTNET_CFG, {})
    converted = convert_htnet_official(official.state_dict(), 'full.pth', input_order='uvs')
    check_strict_match(converted, model.state_dict(), 'full.pth', HTNET_CFG)
    assert sum(v.numel() for v in converted.values()) == 139_582_982
    assert sum(p.numel() for p in official.parameters()) == 139_582_982


def test_htnet_bad_files_name_the_file_and_keys():
    state = OfficialHTNet(image_size=28, dim=8, block_repeats=(1, 1, 1)).state_dict()
    broken = dict(state)
    del broken['layers.1.0.layers.0.0.fn.to_qkv.weight']
    with pytest.raises(OfficialCheckpointError, match=r'w\.pth: .*missing keys: '
                                                      r'layers\.1\.0\.layers\.0\.0\.fn\.to_qkv'):
        convert_htnet_official(broken, 'w.pth')
    extra = dict(state, **{'fusion.fc1.weight': torch.zeros(3, 15)})
    with pytest.raises(OfficialCheckpointError, match=r'w\.pth: keys that .* fusion\.fc1\.weight'):
        convert_htnet_official(extra, 'w.pth')
    # a network of another size than the config's model
    model = build(HTNET_CFG, as_dict(htnet_options(28, 16, (1, 1, 1))))
    with pytest.raises(OfficialCheckpointError, match=r'shapes differ .*backbone\.aggregates'
                                                      r'\.0\.conv\.bias \(16,\) vs \(32,\)'):
        check_strict_match(convert_htnet_official(state, 'w.pth'), model.state_dict(),
                           'w.pth', HTNET_CFG)


def test_htnet_subject_names():
    table = {'sub01.pth': 'casme2_sub01', 'sub26': 'casme2_sub26', 's01.pth': 'smic_s1',
             's20.pth': 'smic_s20', '006.pth': 'samm_006', '037.pth': 'samm_037',
             'casme2_sub04.pth': 'casme2_sub04', 'smic_s3.pth': 'smic_s3',
             'samm_011.pth': 'samm_011'}
    assert {k: htnet_official_subject(k) for k in table} == table
    for bad in ('model_best.pth', '01.pth', '6.pth', 'subject01.pth'):
        with pytest.raises(OfficialCheckpointError, match=bad.replace('.', r'\.')):
            htnet_official_subject(bad)


def test_htnet_folder_refuses_unknown_and_ambiguous(tmp_path):
    tool = load_tool('htnet_official')
    state = OfficialHTNet(image_size=28, dim=8, block_repeats=(1, 1, 1)).state_dict()
    src = tmp_path / 'w'
    src.mkdir()
    torch.save(state, src / 's1.pth')
    torch.save(state, src / 's01.pth')
    opts = htnet_options(28, 8, (1, 1, 1))
    with pytest.raises(SystemExit, match=r's01\.pth and s1\.pth both name subject smic_s1'):
        tool.main([str(src), str(tmp_path / 'out'), '--cfg-options', *opts])
    os.remove(src / 's1.pth')
    torch.save(state, src / 's07.pth')  # not a subject of the 3DB (SMIC s7 has no samples)
    with pytest.raises(SystemExit, match=r"\['smic_s7'\] .*not in the\s+3DB subject list"):
        tool.main([str(src), str(tmp_path / 'out'), '--cfg-options', *opts])
    assert not (tmp_path / 'out' / 'fold_smic_s1').exists()


def test_htnet_folder_mode_rescored_by_tools_test(tmp_path):
    """Two subjects' official weights -> a LOSO work dir -> tools/test.py; the
    per-sample scores equal the official networks' softmax on the same inputs,
    and the summary is labelled as oracle-selected."""
    from mmmer.datasets.builder import build_dataset
    from mmmer.utils import register_all_modules
    from tests.fixtures.me_layouts import build_htnet_flow_folder
    data_root = str(tmp_path / 'htnet')
    build_htnet_flow_folder(data_root)
    reps = (1, 1, 1)
    officials = {'sub01': randomise(OfficialHTNet(dim=16, block_repeats=reps), 10),
                 '006': randomise(OfficialHTNet(dim=16, block_repeats=reps), 11)}
    src = tmp_path / 'official'
    src.mkdir()
    for name, net in officials.items():
        torch.save(net.state_dict(), src / f'{name}.pth')
    opts = htnet_options(28, 16, reps)
    data_opts = []
    for loader in ('train_dataloader', 'test_dataloader'):
        data_opts += [f'{loader}.dataset.data_root={data_root}',
                      f'{loader}.dataset.preprocess.cache_dir={data_root}/cache',
                      f'{loader}.dataset.preprocess.workers=1', f'{loader}.num_workers=0']
    wd = str(tmp_path / 'wd')
    load_tool('htnet_official').main([str(src), wd, '--cfg-options', *opts])
    with open(osp.join(wd, 'selection.json')) as f:
        assert json.load(f)['selection'] == ORACLE_SELECTION
    for subject in ('casme2_sub01', 'samm_006'):
        with open(osp.join(wd, f'fold_{subject}', 'last_checkpoint')) as f:
            assert osp.isfile(f.read().strip())

    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'test.py'), HTNET_CFG, wd, '--cfg-options',
         *opts, *data_opts, "loso.subjects=['casme2_sub01','samm_006']"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(osp.join(wd, 'retest', 'loso_summary.json')) as f:
        summary = json.load(f)
    assert summary['num_samples'] == 3 + 11
    assert summary['selection'] == ORACLE_SELECTION

    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(HTNET_CFG)
    cfg.merge_from_dict(as_dict(data_opts))
    checked = 0
    for subject, raw in (('casme2_sub01', 'sub01'), ('samm_006', '006')):
        with open(osp.join(wd, 'retest', f'fold_{subject}', 'predictions.json')) as f:
            records = {r['clip']: r for r in json.load(f)}
        ds_cfg = cfg.test_dataloader.dataset.to_dict()
        ds_cfg['subjects'] = [subject]
        dataset = build_dataset(ds_cfg)
        for i in range(len(dataset)):
            item = dataset[i]
            x = item['inputs'].float().unsqueeze(0)  # mmmer's (u, v, strain) planes
            with torch.no_grad():
                want = officials[raw](x.flip(1)).softmax(dim=1)[0]
            got = torch.tensor(records[item['data_samples'].get('clip')]['pred_score'])
            torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
            checked += 1
    assert checked == 14


# ------------------------------------------------------------------ EDMDBN
SIZE, C = 112, 8
EDMDBN_OPTS = ['model.backbone.embed_dims=8', 'model.backbone.depths=(2,2,2)',
               'model.backbone.num_heads=(1,2,4)',
               f'model.head.in_channels={4 * C * (SIZE // 16) ** 2}']
HPARAMS = dict(model='fusenet', num_classes=3, use_long_action=True, use_short_action=True,
               use_swin_CA=True, use_feature_concat=False, use_pos_vit=False, num_frames=8)


def official_edmdbn(seed, use_swin_CA=True):
    net = OfficialLitModule(num_classes=3, feat_hw=SIZE // 16, embed_dim=C, depths=(2, 2, 2),
                            num_heads=(1, 2, 4), use_swin_CA=use_swin_CA)
    return randomise(net, seed)


def test_edmdbn_lightning_checkpoint_logits_match(tmp_path):
    official = official_edmdbn(3)
    src, dst = str(tmp_path / 'fold0-epoch=7.ckpt'), str(tmp_path / 'fold0.pth')
    torch.save(lightning_checkpoint(official, HPARAMS), src)
    load_tool('edmdbn_official').main([src, dst, '--cfg-options', *EDMDBN_OPTS])
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['source_epoch'] == 7
    assert ckpt['meta']['selection'] == ORACLE_SELECTION
    model = build(EDMDBN_CFG, as_dict(EDMDBN_OPTS))
    model.load_state_dict(ckpt['state_dict'], strict=True)
    # official input: [apex - onset, 8 diffs, apex]; mmmer's drops the apex frame
    x = torch.randn(3, 3, 10, SIZE, SIZE, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        want = official(x)
        got = model(x[:, :, :-1], mode='tensor')
    assert want.std(dim=0).min() > 1e-3
    torch.testing.assert_close(got, want, atol=1e-4, rtol=0)


def test_edmdbn_without_token_attention():
    official = official_edmdbn(5, use_swin_CA=False)
    ckpt = lightning_checkpoint(official, dict(HPARAMS, use_swin_CA=False))
    state, info = convert_edmdbn_official(ckpt, 'noaa.ckpt')
    assert info['token_attention'] is False
    # 3 stages x 2 branches x 3 token-attention parameters exist but never run
    assert info['dropped'] == 88 + 18
    model = build(EDMDBN_CFG, dict(as_dict(EDMDBN_OPTS),
                                   **{'model.backbone.token_attention': False}))
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 10, SIZE, SIZE, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        torch.testing.assert_close(model(x[:, :, :-1], mode='tensor'), official(x),
                                   atol=1e-4, rtol=0)


def test_edmdbn_full_size_key_set_and_parameter_count():
    with torch.device('meta'):
        official = OfficialLitModule()  # C=128, depths 2/2/6, heads 4/8/16, 224 px
        model = build(EDMDBN_CFG, {})
    state, info = convert_edmdbn_official(lightning_checkpoint(official, HPARAMS), 'full.ckpt')
    check_strict_match(state, model.state_dict(), 'full.ckpt', EDMDBN_CFG)
    assert sum(v.numel() for v in state.values()) == 44_108_197


def test_edmdbn_refusals(tmp_path):
    official = official_edmdbn(7)
    with pytest.raises(OfficialCheckpointError, match=r'x\.ckpt: .*use_pos_vit'):
        convert_edmdbn_official(lightning_checkpoint(official, dict(HPARAMS, use_pos_vit=True)),
                                'x.ckpt')
    ckpt = lightning_checkpoint(official, HPARAMS)
    alias = 'model.long_action_model.layers.0.sa_atten.down.norm.weight'
    ckpt['state_dict'][alias] = ckpt['state_dict'][alias] + 1  # no longer the same tensor
    with pytest.raises(OfficialCheckpointError, match=r'sa_atten\.down\.norm\.weight differs'):
        convert_edmdbn_official(ckpt, 'x.ckpt')
    bare = {k[len('model.'):]: v for k, v in official.state_dict().items()}
    with pytest.raises(OfficialCheckpointError, match=r'--token-attention'):
        convert_edmdbn_official(bare, 'bare.pth')
    # a config whose head has another number of classes
    src = str(tmp_path / 'five.ckpt')
    torch.save(lightning_checkpoint(official, dict(HPARAMS, num_classes=3)), src)
    with pytest.raises(SystemExit, match=r'model\.head\.num_classes=3 \(config: 5\)'):
        load_tool('edmdbn_official').main(
            [src, str(tmp_path / 'o.pth'), '--cfg-options', *EDMDBN_OPTS,
             'model.head.num_classes=5'])
    assert not (tmp_path / 'o.pth').exists()


@pytest.mark.parametrize('tool', ['htnet_official', 'edmdbn_official'])
def test_help(tool, capsys):
    with pytest.raises(SystemExit) as e:
        load_tool(tool).parse_args(['--help'])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert 'usage:' in out and '--config' in out and '--cfg-options' in out
