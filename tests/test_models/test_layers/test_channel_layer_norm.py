import pytest
import torch

from mmmer.models.layers import ChannelLayerNorm


def manual_channel_ln(x, g, b, eps):
    """Channel layer norm written out on NCHW: biased variance over C, eps inside the sqrt."""
    mean = x.mean(dim=1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * g.view(1, -1, 1, 1) + b.view(1, -1, 1, 1)


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_matches_formula(data_format):
    torch.manual_seed(0)
    ln = ChannelLayerNorm(6, data_format=data_format).double()
    with torch.no_grad():
        ln.weight.uniform_(0.5, 2)
        ln.bias.normal_()
    x = torch.randn(2, 6, 3, 5, dtype=torch.double) * 3 + 1
    ref = manual_channel_ln(x, ln.weight, ln.bias, 1e-5)
    if data_format == 'channels_last':
        out = ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    else:
        out = ln(x)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)


def test_defaults_and_eps_inside_sqrt():
    ln = ChannelLayerNorm(4)
    assert torch.equal(ln.weight, torch.ones(4)) and torch.equal(ln.bias, torch.zeros(4))
    # A constant pixel has var 0: output is 0, not NaN (eps inside the sqrt).
    out = ln(torch.full((1, 2, 2, 4), 3.0))
    torch.testing.assert_close(out, torch.zeros_like(out), rtol=0, atol=1e-6)
    # Biased variance: two channels (-1, 1) -> (-1, 1)/sqrt(1 + eps)
    out = ChannelLayerNorm(2)(torch.tensor([[-1.0, 1.0]]))
    torch.testing.assert_close(out, torch.tensor([[-1.0, 1.0]]) / (1 + 1e-5) ** 0.5)


def test_bad_format():
    with pytest.raises(ValueError, match='data_format'):
        ChannelLayerNorm(3, data_format='nchw')
