"""Grad-CAM against closed-form maps and a direct autograd computation."""
import matplotlib.image as mpimg
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from mmmer.analysis.complexity import build_model_from_cfg
from mmmer.analysis.gradcam import GradCAM, spatial_layers, to_spatial

from .tool_loader import load_tool, write_toy_config


class TwoChannelNet(nn.Module):
    """Identity 1x1 conv; logit c = spatial mean of channel c.

    For class c, dy_c/dA = 1/(HW) on channel c and 0 elsewhere, so Grad-CAM
    (Selvaraju et al. Eq. 1-2) gives ReLU(A_c) / (HW) exactly.
    """

    def __init__(self):
        super().__init__()
        self.feat = nn.Conv2d(2, 2, 1, bias=False)
        with torch.no_grad():
            self.feat.weight.copy_(torch.eye(2).view(2, 2, 1, 1))

    def forward(self, x):
        return self.feat(x).mean(dim=(2, 3))


def _two_blob_input():
    x = torch.zeros(1, 2, 6, 6)
    x[0, 0, :3, :3] = torch.arange(9.).view(3, 3) + 1   # class 0: top-left
    x[0, 1, 3:, 3:] = 2.0                                 # class 1: bottom-right
    x[0, 1, 0, 5] = -5.0                                  # negative: ReLU'd away
    return x


def test_gradcam_closed_form():
    x = _two_blob_input()
    cam = GradCAM(TwoChannelNet(), 'feat')
    for c in (0, 1):
        res = cam(x, target_class=c)
        expected_raw = torch.relu(x[0, c]) / 36
        torch.testing.assert_close(res['raw_cam'][0], expected_raw)
        # same size as the input: upsampling is the identity, so the map is
        # the raw map over its maximum
        torch.testing.assert_close(res['cam'][0], expected_raw / expected_raw.max())
    # default target = predicted class (channel 0 has the larger mean)
    assert int(cam(x)['target'][0]) == 0


def test_gradcam_token_layout_matches_map_layout():
    fm = torch.randn(1, 5, 4, 4)
    tok = fm.flatten(2).transpose(1, 2)                  # (B, 16, C)
    cls_tok = torch.cat([torch.zeros(1, 1, 5), tok], 1)   # (B, 17, C)
    torch.testing.assert_close(to_spatial(tok)[:, :, 0], fm)
    torch.testing.assert_close(to_spatial(cls_tok)[:, :, 0], fm)
    torch.testing.assert_close(to_spatial(fm.permute(0, 2, 3, 1), 'nhwc')[:, :, 0], fm)
    with pytest.raises(ValueError, match='square'):
        to_spatial(torch.randn(1, 7, 3))


def test_gradcam_on_me_classifier_matches_autograd(tmp_path):
    torch.manual_seed(0)
    model = build_model_from_cfg(Config.fromfile(write_toy_config(tmp_path))).eval()
    x = torch.randn(2, 3, 8, 8)
    # default layer: the last spatial module of the backbone (2x2 pool output)
    layers = spatial_layers(model, x)
    assert layers[-1] == 'backbone.net.2' and 'backbone.net.0' in layers
    res = GradCAM(model, 'backbone.net.0')(x, target_class=torch.tensor([1, 2]))
    # reference: split the network at the conv and differentiate directly
    a = model.backbone.net[0](x).detach().requires_grad_(True)
    logits = model.head(model.backbone.net[1:](a))
    score = logits[0, 1] + logits[1, 2]
    (g, ) = torch.autograd.grad(score, a)
    ref = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1)).detach()
    torch.testing.assert_close(res['raw_cam'], ref)
    assert res['cam'].shape == (2, 8, 8) and float(res['cam'].max()) == pytest.approx(1)
    with pytest.raises(KeyError, match='not a module'):
        GradCAM(model, 'backbone.nope')(x)


def test_gradcam_tool_png(tmp_path, capsys):
    cfg_path = write_toy_config(tmp_path)
    cfg = Config.fromfile(cfg_path)
    model = build_model_from_cfg(cfg)
    ckpt = tmp_path / 'model.pth'
    save_checkpoint(model.state_dict(), str(ckpt))
    out = tmp_path / 'cam.png'
    tool = load_tool('gradcam')
    res = tool.main([cfg_path, str(ckpt), '--sample-idx', '3', '--out', str(out)])
    img = mpimg.imread(str(out))
    assert img.ndim == 3 and img.shape[0] > 100
    assert res['layer'] == 'backbone.net.2'
    assert 'png:' in capsys.readouterr().out
    tool.main([cfg_path, str(ckpt), '--list-layers'])
    listed = [line for line in capsys.readouterr().out.splitlines()
              if line.startswith('backbone')]
    assert listed == ['backbone.net.0', 'backbone.net.1', 'backbone.net.2']
    with pytest.raises(IndexError, match='sample-idx'):
        tool.main([cfg_path, str(ckpt), '--sample-idx', '999'])
