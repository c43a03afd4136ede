"""SVM classifier head of paper D: dropout, linear decision layer, hinge loss,
explicit L2 penalty on conv / fully connected weights.
"""
import weakref
from typing import Optional

import torch
import torch.nn as nn

from mmmer.registry import MODELS

from .base_head import BaseMEHead


def l2_weight_penalty(module: nn.Module) -> torch.Tensor:
    """``sum(w ** 2)`` over the weights of every Conv and Linear layer of
    ``module`` (biases, BatchNorm and LayerNorm excluded: Keras'
    ``kernel_regularizer`` acts on kernels only)."""
    total = None
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
            term = m.weight.pow(2).sum()
            total = term if total is None else total + term
    if total is None:
        raise ValueError(f'{type(module).__name__} has no Conv/Linear weights to penalise')
    return total


@MODELS.register_module()
class SVMHingeHead(BaseMEHead):
    """``[global pool] -> Dropout -> Linear(in_channels, K)`` trained with a
    multi-class hinge loss (paper D eq. 17) plus ``l2_weight * sum(w ** 2)``.

    Paper D, "Experiment settings": "The convolutional and fully-connected
    layers of the model were subjected to L2 regularization at a scale of 0.2
    and Dropout at a scale of 0.5". In Keras (the paper's framework)
    ``kernel_regularizer=l2(0.2)`` adds ``0.2 * sum(w ** 2)`` of each kernel
    to the loss; it is reproduced here as an explicit loss term
    (``loss_l2``), not as optimizer weight decay, so 0.2 means the same thing.
    The sentence names the layers "of the model", so ``l2_scope='model'``
    (default) penalises every Conv/Linear weight of the whole classifier
    (backbone, plug-ins, head); ``'head'`` restricts it to the decision layer.

    With ``l2_scope='model'`` the head must know its model:
    ``MEClassifier`` calls :meth:`bind_model` after building the head (tests
    and scripts that build a head alone call it themselves).

    Predicted scores are the raw decision values (an SVM has no
    probabilities); ``pred_label`` is their argmax.

    Args:
        num_classes (int): K.
        in_channels (int): feature size (1024 after ShuffleNetV2's conv5).
        loss (dict): the classification loss, default
            ``MultiClassHingeLoss(margin=1, p=2)``.
        dropout (float): dropout before the decision layer (0.5, paper D).
        l2_weight (float): scale of the L2 penalty (0.2, paper D); 0 turns it off.
        l2_scope (str): ``'model'`` or ``'head'``.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 loss: dict = dict(type='MultiClassHingeLoss', margin=1.0, p=2),
                 dropout: float = 0.5, l2_weight: float = 0.2,
                 l2_scope: str = 'model', init_cfg: Optional[dict] = None):
        super().__init__(num_classes=num_classes, loss=loss, init_cfg=init_cfg)
        if l2_scope not in ('model', 'head'):
            raise ValueError(f"SVMHingeHead: l2_scope must be 'model' or 'head', got "
                             f'{l2_scope!r}')
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
        """Tell the head which model the ``'model'``-scope penalty covers."""
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
                "SVMHingeHead(l2_scope='model') is not bound to the model it belongs "
                'to (or the model was copied after binding). Call '
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
        return dict(loss_l2=self.l2_weight * l2_weight_penalty(self.penalised_module()))

    def scores_from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        return logits
