"""ESAAT entropy criterion and greedy selection on a tiny HTNet."""
import numpy as np
import pytest
import torch

from mmmer.models.backbones import HTNet
from mmmer.models.utils.esaat import (HTNetFeatureFunction, candidate_indices,
                                      feature_entropy, greedy_attention_removal,
                                      select_attention_layers)


def test_feature_entropy_matches_numpy():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(50, 7)) * rng.uniform(0.1, 3, size=7)
    expected = np.log(f.std(axis=0, ddof=1)).sum()
    assert feature_entropy(torch.from_numpy(f)) == pytest.approx(expected, rel=1e-12)
    # Gaussian entropy up to constants: scaling every channel by 2 adds C*log 2
    assert feature_entropy(torch.from_numpy(2 * f)) == pytest.approx(expected + 7 * np.log(2))
    with pytest.raises(ValueError):
        feature_entropy(torch.zeros(1, 3))


def test_greedy_on_additive_toy():
    """Features whose per-channel log-std shifts by known amounts per layer:
    greedy must pick the layers with the smallest |shift| first."""
    base = torch.randn(100, 5, generator=torch.Generator().manual_seed(0)).double()
    shifts = {0: 0.5, 1: -0.05, 2: 0.2, 3: 0.01}

    def fn(bypass):
        return base * float(np.exp(sum(shifts[b] for b in bypass) / 5))

    res = greedy_attention_removal(fn, [3, 2, 1, 0], k=3)
    assert res['selected'] == [3, 1, 2]
    np.testing.assert_allclose(res['te'], [0.01, 0.04, 0.16], atol=1e-9)
    assert set(res['steps'][0]) == {'0', '1', '2', '3'}
    with pytest.raises(ValueError):
        greedy_attention_removal(fn, [0, 1], k=3)


@pytest.fixture(scope='module')
def tiny():
    torch.manual_seed(0)
    m = HTNet(dim=8, heads=2, block_repeats=(1, 1, 5), lape=True).eval()
    g = torch.Generator().manual_seed(1)
    batches = [torch.rand(16, 3, 28, 28, generator=g) * 255 for _ in range(3)]
    return m, batches


def test_feature_function_cache_equals_full_forward(tiny):
    m, batches = tiny
    cands = m.level_indices(2)
    assert cands == [2, 3, 4, 5, 6]
    fn = HTNetFeatureFunction(m, batches, cands)
    assert fn.start_level == 2
    with torch.no_grad():
        torch.testing.assert_close(fn(()), torch.cat([m(x) for x in batches]))
        with m.bypass_attention([3, 5]):
            ref = torch.cat([m(x) for x in batches])
        out = fn((3, 5))
        torch.testing.assert_close(out, ref)
        assert (out - fn(())).abs().max() > 1e-6  # bypassing changes features


def test_greedy_on_tiny_htnet_is_deterministic(tiny):
    m, batches = tiny
    cands = m.level_indices(2)
    fn = HTNetFeatureFunction(m, batches, cands)
    r1 = greedy_attention_removal(fn, cands, k=3)
    r2 = greedy_attention_removal(HTNetFeatureFunction(m, batches, cands), cands, k=3)
    assert r1 == r2
    assert len(set(r1['selected'])) == 3 and set(r1['selected']) <= set(cands)
    # step 1 picks the singleton with minimal |H - H_l|, computed independently
    with torch.no_grad():
        h = feature_entropy(torch.cat([m(x) for x in batches]))
        te = {}
        for c in cands:
            with m.bypass_attention([c]):
                te[c] = abs(h - feature_entropy(torch.cat([m(x) for x in batches])))
    assert r1['selected'][0] == min(te, key=te.get)
    # float32 features through differently batched (equal within rounding)
    # conv paths: TE, a difference of sums of log-stds, agrees to ~1e-6.
    assert r1['te'][0] == pytest.approx(te[r1['selected'][0]], abs=1e-5)
    # the pruned model keeps only the FFN in the selected blocks
    pruned = HTNet(dim=8, heads=2, block_repeats=(1, 1, 5), lape=True,
                   drop_attention=r1['selected'])
    per_attn = sum(p.numel() for p in m.levels[2].blocks[0].attn.parameters()) + 2 * 32
    assert sum(p.numel() for p in m.parameters()) - sum(p.numel() for p in pruned.parameters()) \
        == 3 * per_attn


def test_candidate_indices(tiny):
    m, _ = tiny
    assert candidate_indices(m, 'top') == [2, 3, 4, 5, 6]
    assert candidate_indices(m, 'all') == [0, 1, 2, 3, 4, 5, 6]
    assert candidate_indices(m, [5, 3, 3]) == [3, 5]
    pruned = HTNet(dim=8, heads=2, block_repeats=(1, 1, 5), drop_attention=[-1])
    assert candidate_indices(pruned, 'top') == [2, 3, 4, 5]
    with pytest.raises(ValueError, match='top'):
        candidate_indices(m, 'bottom')


def test_select_attention_layers_equals_greedy_on_direct_features():
    """The dataset-level entry point (used by the LOSO preparer and the tool)
    against greedy on features computed by plain forward passes."""
    import tests.fixtures.toy  # noqa: F401
    from mmmer.registry import DATASETS, MODELS
    from mmmer.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MEClassifier', backbone=dict(type='HTNet', dim=8, heads=2,
                                           block_repeats=(1, 1, 4), lape=True),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=32)))
    ds = DATASETS.build(dict(type='ToyMEDataset', num_subjects=2, per_class=3, size=28,
                             pipeline=[dict(type='ToyLoad'), dict(type='PackMEInputs')]))
    res = select_attention_layers(model, ds, k=2, batch_size=5)
    x = torch.stack([ds[i]['inputs'] for i in range(len(ds))]).float()
    bb = model.backbone

    def direct(bypass):
        with torch.no_grad(), bb.bypass_attention(bypass):
            return bb(x)

    ref = greedy_attention_removal(direct, [2, 3, 4, 5], k=2)
    assert res['num_samples'] == len(ds) == 18
    assert res['selected'] == ref['selected']
    np.testing.assert_allclose(res['te'], ref['te'], atol=1e-5)
    assert res['h_full'] == pytest.approx(ref['h_full'], abs=1e-5)
