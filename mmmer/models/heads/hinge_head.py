"""SVM classifier head of "Micro-expression recognition model based on TV-L1
optical flow method and improved ShuffleNet" (Liu et al., Scientific Reports
2022): dropout, linear decision layer, hinge loss (eq. 17) and an explicit L2
penalty whose scope is a recorded choice (see :class:`SVMHingeHead`).
"""
import weakref
from typing import Iterator, Optional

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmmer.registry import MODELS

from .base_head import BaseMEHead

__all__ = ['SVMHingeHead', 'l2_weight_penalty', 'penalised_kernels', 'L2_SCOPES']

_KERNEL_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_NORM_LAYERS = (_BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm1d,
                nn.InstanceNorm2d, nn.InstanceNorm3d)

#: ``'all'``: every Conv/Linear kernel of the model (the literal reading of
#: the paper; ``'model'`` is accepted as its older name);
#: ``'unnormalized'``: only kernels NOT directly followed by a normalisation
#: layer (a kernel followed by BatchNorm can be rescaled without changing
#: what the network computes, so penalising it only shrinks it);
#: ``'head'``: the decision layer only (the ``||w||^2`` of a linear SVM).
L2_SCOPES = ('all', 'unnormalized', 'head')


def _normalised_kernels(module: nn.Module) -> set:
    """ids of Conv/Linear layers directly followed by a normalisation layer
    inside an ``nn.Sequential`` (the only container whose order is its data
    flow)."""
    found = set()
    for seq in module.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        children = list(seq.children())
        for layer, nxt in zip(children, children[1:]):
            if isinstance(layer, _KERNEL_LAYERS) and isinstance(nxt, _NORM_LAYERS):
                found.add(id(layer))
    return found


def penalised_kernels(module: nn.Module, scope: str = 'all') -> Iterator[nn.Module]:
    """The Conv/Linear layers of ``module`` whose kernels a ``scope`` penalty
    covers (``'head'`` is handled by the caller passing the head alone)."""
    skip = _normalised_kernels(module) if scope == 'unnormalized' else set()
    for m in module.modules():
        if isinstance(m, _KERNEL_LAYERS) and id(m) not in skip:
            yield m


def l2_weight_penalty(module: nn.Module, scope: str = 'all') -> torch.Tensor:
    """``sum(w ** 2)`` over the kernels :func:`penalised_kernels` selects
    (biases, BatchNorm and LayerNorm excluded: Keras' ``kernel_regularizer``
    acts on kernels only)."""
    total = None
    for m in penalised_kernels(module, scope):
        term = m.weight.pow(2).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError(f'{type(module).__name__} has no Conv/Linear weights to '
                         f'penalise with scope {scope!r}')
    return total


@MODELS.register_module()
class SVMHingeHead(BaseMEHead):
    """``[global pool] -> Dropout -> Linear(in_channels, K)`` trained with a
    multi-class hinge loss (eq. 17) plus ``l2_weight * sum(w ** 2)`` over the
    kernels of ``l2_scope``.

    The paper ("Experiment settings"): "The convolutional and fully-connected
    layers of the model were subjected to L2 regularization at a scale of 0.2
    and Dropout at a scale of 0.5". In Keras (the paper's framework)
    ``kernel_regularizer=l2(0.2)`` adds ``0.2 * sum(w ** 2)`` of each kernel
    to the loss. Read literally (``l2_scope='all'``, ``l2_weight=0.2``) that
    term is hundreds of times the hinge loss at initialisation and most of it
    sits on kernels followed by BatchNorm, where it cannot change the
    function, only shrink the kernels; the configs therefore default to the
    scope measured best on the synthetic two-stage LOSO and keep the literal
    reading as a labelled ablation (docs/methods/shufflenet.md).

    The penalty is an explicit loss term (``loss_l2``, logged apart from
    ``loss_cls`` so a plateau scheduler can watch the classification loss).
    Decoupled weight decay is the other option: ``l2_weight=0`` here and
    ``AdamW(weight_decay=...)`` in the optimizer.

    With ``l2_scope`` other than ``'head'`` the head must know its model:
    ``MEClassifier`` calls :meth:`bind_model` after building the head (tests
    and scripts that build a head alone call it themselves).

    Predicted scores are the raw decision values (an SVM has no
    probabilities); ``pred_label`` is their argmax.

    Args:
        num_classes (int): K.
        in_channels (int): feature size (1024 after ShuffleNetV2's conv5).
        loss (dict): the classification loss, default
            ``MultiClassHingeLoss(margin=1, p=1)``.
        dropout (float): dropout before the decision layer (0.5 in the paper).
        l2_weight (float): scale of the L2 penalty; 0 turns it off.
        l2_scope (str): one of :data:`L2_SCOPES` (``'model'`` = ``'all'``).
    """

    def __init__(self, num_classes: int, in_channels: int,
                 loss: dict = dict(type='MultiClassHingeLoss', margin=1.0, p=1),
                 dropout: float = 0.5, l2_weight: float = 0.2,
                 l2_scope: str = 'head', init_cfg: Optional[dict] = None):
        super().__init__(num_classes=num_classes, loss=loss, init_cfg=init_cfg)
        if l2_scope == 'model':
            l2_scope = 'all'
        if l2_scope not in L2_SCOPES:
            raise ValueError(f'SVMHingeHead: l2_scope must be one of {L2_SCOPES} '
                             f"(or 'model' = 'all'), got {l2_scope!r}")
        if l2_weight < 0:
            raise ValueError('SVMHingeHead: l2_weight must be >= 0')
        self.in_channels = in_channels
        self.l2_weight = float(l2_weight)
        self.l2_scope = l2_scope
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        # Not named `fc`: a stage-1 checkpoint (LinearClsHead.fc on flow images)
        # then leaves the SVM decision layer at its fresh initialisation when
        # loaded non-strictly; only backbone and plug-in weights carry over.
        self.decision = nn.Linear(in_channels, num_classes)
        # A weak reference kept outside nn.Module's registry: registering the
        # parent as a child would make module traversal recurse forever.
        self.__dict__['_model_ref'] = None

    def bind_model(self, model: nn.Module) -> None:
        """Tell the head which model a model-wide penalty covers."""
        if not any(m is self for m in model.modules()):
            raise ValueError('SVMHingeHead.bind_model: the head is not part of the '
                             'given model')
        self.__dict__['_model_ref'] = weakref.ref(model)

    def penalised_module(self) -> nn.Module:
        if self.l2_scope == 'head':
            return self
        model = self._model_ref() if self._model_ref is not None else None
        if model is None or not any(m is self for m in model.modules()):
            raise RuntimeError(
                f'SVMHingeHead(l2_scope={self.l2_scope!r}) is not bound to the model '
                'it belongs to (or the model was copied after binding). Call '
                'head.bind_model(model) -- MEClassifier does this when it builds '
                "the head -- or set l2_scope='head'.")
        return model

    def pre_logits(self, feats):
        x = super().pre_logits(feats)
        if x.ndim == 4:  # a spatial map (backbone with global_pool=False)
            x = x.mean(dim=(2, 3))
        return x.flatten(1)

    def forward(self, feats) -> torch.Tensor:
        return self.decision(self.dropout(self.pre_logits(feats)))

    def extra_losses(self) -> dict:
        if self.l2_weight == 0:
            return {}
        return dict(loss_l2=self.l2_weight * l2_weight_penalty(
            self.penalised_module(), self.l2_scope))

    def scores_from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        return logits
