"""The three MTCNN networks (P-Net, R-Net, O-Net).

Zhang, Zhang, Li and Qiao, "Joint Face Detection and Alignment using
Multi-task Cascaded Convolutional Networks", IEEE SPL 2016, sec. II-A and
Fig. 2: a cascade of three CNNs of growing size, each with PReLU
activations, that score face / non-face, regress the box offsets and (O-Net)
regress five facial points.

* P-Net, fully convolutional on a 12x12 receptive field (stride 2): conv3x3
  3->10, max-pool 2x2, conv3x3 10->16, conv3x3 16->32, then 1x1 heads for the
  face probability (2-way softmax) and the 4 box offsets.
* R-Net on 24x24 crops: conv3x3 3->28, max-pool 3x3/2, conv3x3 28->48,
  max-pool 3x3/2, conv2x2 48->64, dense 576->128, heads 2 and 4.
* O-Net on 48x48 crops: conv3x3 3->32, max-pool 3x3/2, conv3x3 32->64,
  max-pool 3x3/2, conv3x3 64->64, max-pool 2x2, conv2x2 64->128, dense
  1152->256, heads 2, 4 and 10 (x1..x5, y1..y5 of the five points, relative
  to the box).

All pooling rounds up (Caffe convention). Layer names follow the keys of
the pretrained weight files (:mod:`.weights`), so they load unchanged. Those
weights were converted from a model whose dense layers read the last feature
map in (width, height, channel) order; :func:`_flatten_whc` keeps that order.
"""
import torch
from torch import nn

__all__ = ['PNet', 'RNet', 'ONet', 'build_mtcnn_nets']


def _trunk(module: nn.Module, spec) -> list:
    """Register the conv/PReLU/pool layers of ``spec`` on ``module``.

    ``spec`` items: ``('conv', name, in, out, k)``, ``('prelu', name, c)`` or
    ``('pool', name, k, stride)``. Returns the layer names in order.
    """
    order = []
    for kind, name, *args in spec:
        if kind == 'conv':
            layer = nn.Conv2d(args[0], args[1], kernel_size=args[2])
        elif kind == 'prelu':
            layer = nn.PReLU(args[0])
        elif kind == 'pool':
            layer = nn.MaxPool2d(args[0], args[1], ceil_mode=True)
        else:
            raise ValueError(f'unknown layer kind {kind!r}')
        module.add_module(name, layer)
        order.append(name)
    return order


def _flatten_whc(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, W*H*C) in width, height, channel order."""
    return x.permute(0, 3, 2, 1).contiguous().view(x.shape[0], -1)


class _MTCNNStage(nn.Module):

    def run_trunk(self, x: torch.Tensor) -> torch.Tensor:
        for name in self._order:
            x = getattr(self, name)(x)
        return x


class PNet(_MTCNNStage):
    """Proposal network. ``forward(x)`` -> ``(offsets (N,4,h,w), prob (N,2,h,w))``."""

    def __init__(self):
        super().__init__()
        self._order = _trunk(self, [
            ('conv', 'conv1', 3, 10, 3), ('prelu', 'prelu1', 10), ('pool', 'pool1', 2, 2),
            ('conv', 'conv2', 10, 16, 3), ('prelu', 'prelu2', 16),
            ('conv', 'conv3', 16, 32, 3), ('prelu', 'prelu3', 32)])
        self.conv4_1 = nn.Conv2d(32, 2, kernel_size=1)  # face / non-face
        self.conv4_2 = nn.Conv2d(32, 4, kernel_size=1)  # box offsets

    def forward(self, x):
        x = self.run_trunk(x)
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(_MTCNNStage):
    """Refinement network on 24x24 crops. -> ``(offsets (N,4), prob (N,2))``."""

    def __init__(self):
        super().__init__()
        self._order = _trunk(self, [
            ('conv', 'conv1', 3, 28, 3), ('prelu', 'prelu1', 28), ('pool', 'pool1', 3, 2),
            ('conv', 'conv2', 28, 48, 3), ('prelu', 'prelu2', 48), ('pool', 'pool2', 3, 2),
            ('conv', 'conv3', 48, 64, 2), ('prelu', 'prelu3', 64)])
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x):
        x = self.prelu4(self.dense4(_flatten_whc(self.run_trunk(x))))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(_MTCNNStage):
    """Output network on 48x48 crops.

    -> ``(offsets (N,4), points (N,10), prob (N,2))``; points are x1..x5 then
    y1..y5 as fractions of the box.
    """

    def __init__(self):
        super().__init__()
        self._order = _trunk(self, [
            ('conv', 'conv1', 3, 32, 3), ('prelu', 'prelu1', 32), ('pool', 'pool1', 3, 2),
            ('conv', 'conv2', 32, 64, 3), ('prelu', 'prelu2', 64), ('pool', 'pool2', 3, 2),
            ('conv', 'conv3', 64, 64, 3), ('prelu', 'prelu3', 64), ('pool', 'pool3', 2, 2),
            ('conv', 'conv4', 64, 128, 2), ('prelu', 'prelu4', 128)])
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x):
        x = self.prelu5(self.dense5(_flatten_whc(self.run_trunk(x))))
        return (self.dense6_2(x), self.dense6_3(x),
                torch.softmax(self.dense6_1(x), dim=1))


def build_mtcnn_nets(pretrained: bool = True, verify: bool = True):
    """``(pnet, rnet, onet)`` in eval mode, with the facenet-pytorch 2.6.0
    weights when ``pretrained`` (see :mod:`.weights`)."""
    from .weights import load_mtcnn_state_dict
    nets = []
    for name, cls in (('pnet', PNet), ('rnet', RNet), ('onet', ONet)):
        net = cls()
        if pretrained:
            net.load_state_dict(load_mtcnn_state_dict(name, verify), strict=True)
        nets.append(net.eval().requires_grad_(False))
    return tuple(nets)
