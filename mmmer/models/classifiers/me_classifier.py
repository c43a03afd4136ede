"""MEClassifier: data_preprocessor -> backbone -> optional neck -> head."""
from typing import List, Optional

import torch
from mmengine.model import BaseModel

from mmmer.registry import MODELS
from mmmer.structures import MEDataSample


@MODELS.register_module()
class MEClassifier(BaseModel):
    """Generic micro-expression classifier.

    ``forward(inputs, data_samples, mode)`` follows the MMEngine contract:
    ``'tensor'`` returns logits, ``'loss'`` a dict of losses, ``'predict'`` a
    list of :class:`MEDataSample` with ``pred_label`` / ``pred_score``.
    """

    def __init__(self, backbone: dict, head: dict, neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='MEDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        # Heads whose loss needs the whole model (e.g. the SVM head's L2
        # penalty over every conv/linear weight in the ShuffleNetV2 + SVM
        # method of Liu et al., 2022) get a weak reference.
        if hasattr(self.head, 'bind_model'):
            self.head.bind_model(self)

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    def extract_feat(self, inputs: torch.Tensor):
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        return x

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[MEDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.head.loss(self.extract_feat(inputs), data_samples)
        if mode == 'predict':
            return self.head.predict(self.extract_feat(inputs), data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; use tensor, loss or predict.')
