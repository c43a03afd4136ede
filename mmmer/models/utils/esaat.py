"""ESAAT part 1: entropy-based selection of attention sublayers to remove.

"Leveraging vision transformers and entropy-based attention for accurate
micro-expression recognition" (Zhang et al., Scientific Reports 2025; HTNet
with LAPE, agent attention, entropy-based layer removal and diffusion
augmentation), section "Entropy-based selection agent attention module":
"compute the transfer entropy between each attention layer and the output
layer; remove attention layers with low transfer entropy". The paper gives no
estimator; this one follows NOSE (Lin et al., "MLP Can Be A Good Transformer
Learner", CVPR 2024):

- feature entropy with a Gaussian approximation and constants dropped,
  ``H(F) = sum_c log std_c(F)`` over a sample set of pooled features F (N, C);
- ``TE(S) = |H(F) - H_S(F)|`` where ``H_S`` is measured with the attention
  branches in S bypassed (residual stream unchanged);
- greedy: start from S = {} and k times add the candidate l minimising
  ``TE(S + {l})`` (ties: lowest index, so the ranking is deterministic).

:func:`select_attention_layers` runs the whole selection on a trained model
and a dataset; ``tools/analysis/esaat_select.py`` and the LOSO fold preparer
:class:`mmmer.engine.fold_preparers.ESAATLayerSelection` both call it.
docs/methods/htnet_lape_esaat.md describes the procedure and its cost.
"""
from typing import Callable, Dict, Iterable, List, Sequence, Union

import torch


def feature_entropy(feats: torch.Tensor, eps: float = 1e-12) -> float:
    """``sum_c log std_c`` of ``(N, C)`` features (sample std, ddof 1).

    ``eps`` floors the std of constant channels so the sum stays finite; a
    channel constant both with and without bypassing then cancels in TE.
    """
    if feats.dim() != 2 or feats.shape[0] < 2:
        raise ValueError(f'feature_entropy: need (N >= 2, C) features, got {tuple(feats.shape)}')
    std = feats.double().std(dim=0, unbiased=True)
    return float(torch.log(std.clamp_min(eps)).sum())


def greedy_attention_removal(feature_fn: Callable[[Sequence[int]], torch.Tensor],
                             candidates: Iterable[int], k: int) -> Dict:
    """Greedy minimal-TE removal of ``k`` attention sublayers.

    Args:
        feature_fn: maps a set of bypassed sublayer indices (sorted tuple) to
            the ``(N, C)`` features over the selection samples.
        candidates: indices that may be removed.
        k: how many to remove.

    Returns:
        dict with ``h_full``, ``selected`` (in the order chosen), ``te``
        (TE of the growing set after each step) and ``steps`` (per step, the
        TE of every remaining candidate), all plain Python numbers.
    """
    candidates = sorted(set(int(c) for c in candidates))
    if not 0 <= k <= len(candidates):
        raise ValueError(f'greedy_attention_removal: k={k} but only '
                         f'{len(candidates)} candidates {candidates}')
    h_full = feature_entropy(feature_fn(()))
    selected: List[int] = []
    te_path, steps = [], []
    for _ in range(k):
        scores = {}
        for c in candidates:
            if c in selected:
                continue
            h_s = feature_entropy(feature_fn(tuple(sorted(selected + [c]))))
            scores[c] = abs(h_full - h_s)
        best = min(scores, key=lambda c: (scores[c], c))
        selected.append(best)
        te_path.append(scores[best])
        steps.append({str(c): v for c, v in scores.items()})
    return dict(h_full=h_full, candidates=candidates, k=k, selected=selected,
                te=te_path, steps=steps)


class HTNetFeatureFunction:
    """``feature_fn`` for :func:`greedy_attention_removal` on an HTNet backbone.

    The input of the lowest candidate level is computed once per batch and
    cached, so each candidate set only re-runs the levels above it (the top
    level holds ~90% of HTNet's parameters but it is the only level re-run
    for top-level candidates).

    Args:
        backbone: an :class:`~mmmer.models.backbones.HTNet` (eval mode is set).
        batches: iterable of ``(B, C, H, W)`` input tensors (after the data
            preprocessor).
        candidates: the sublayer indices that will be bypassed.
    """

    def __init__(self, backbone, batches: Iterable[torch.Tensor],
                 candidates: Sequence[int]):
        backbone.eval()
        self.backbone = backbone
        bounds, lo = [], 0
        for r in backbone.block_repeats:
            bounds.append((lo, lo + r))
            lo += r
        self.start_level = min(next(i for i, (a, b) in enumerate(bounds) if a <= c < b)
                               for c in candidates) if candidates else backbone.num_hierarchies - 1
        with torch.no_grad():
            self.cache = [backbone.forward_levels(backbone.embed(x), 0, self.start_level)
                          for x in batches]
        if not self.cache:
            raise ValueError('HTNetFeatureFunction: no input batches')

    @torch.no_grad()
    def __call__(self, bypass: Sequence[int]) -> torch.Tensor:
        bb = self.backbone
        with bb.bypass_attention(bypass):
            feats = [bb.pool(bb.forward_levels(h, self.start_level)) for h in self.cache]
        return torch.cat(feats)


def format_ranking(result: Dict, digits: int = 6) -> str:
    """One line per greedy step, for logs."""
    lines = [f'H(F) full model: {result["h_full"]:.{digits}f}']
    for i, (layer, te) in enumerate(zip(result['selected'], result['te'])):
        lines.append(f'step {i + 1}: remove attention {layer}  TE={te:.{digits}g}')
    return '\n'.join(lines)


def candidate_indices(backbone, candidates: Union[str, Sequence[int]] = 'top') -> List[int]:
    """The attention sublayers that may be removed (HTNet global indices).

    ``'top'``: those of the top level (the paper's ~18% parameter cut comes
    from removing top-level attention, which holds most attention
    parameters); ``'all'``: every built attention sublayer; or explicit
    indices.
    """
    if candidates == 'top':
        return list(backbone.level_indices(backbone.num_hierarchies - 1))
    if candidates == 'all':
        return [k for lvl in range(backbone.num_hierarchies)
                for k in backbone.level_indices(lvl)]
    if isinstance(candidates, str):
        raise ValueError(f"ESAAT candidates must be 'top', 'all' or a list of sublayer "
                         f'indices, got {candidates!r}')
    return sorted(set(int(c) for c in candidates))


def collect_inputs(model, dataset, batch_size: int = 64) -> List[torch.Tensor]:
    """Every sample of ``dataset`` through ``model.data_preprocessor``
    (eval mode, no augmentation), as a list of input batches."""
    from mmengine.dataset import pseudo_collate
    batches = []
    with torch.no_grad():
        for lo in range(0, len(dataset), batch_size):
            items = [dataset[i] for i in range(lo, min(lo + batch_size, len(dataset)))]
            batches.append(model.data_preprocessor(pseudo_collate(items), False)['inputs'])
    return batches


def select_attention_layers(model, dataset, k: int = 6,
                            candidates: Union[str, Sequence[int]] = 'top',
                            batch_size: int = 64) -> Dict:
    """ESAAT selection on a trained classifier: the pooled features of every
    sample of ``dataset`` (which must hold training samples only), then
    :func:`greedy_attention_removal` over ``candidates``.

    Args:
        model: an ``MEClassifier`` whose backbone supports
            ``bypass_attention`` (HTNet), with trained weights loaded.
        dataset: the selection samples (a built dataset; the caller makes
            sure no test subject is in it).
        k (int): sublayers to remove.
        candidates: see :func:`candidate_indices`.
        batch_size (int): feature batch size.

    Returns:
        The :func:`greedy_attention_removal` dict plus ``num_samples`` and
        ``indexing``.
    """
    backbone = model.backbone
    if not hasattr(backbone, 'bypass_attention'):
        raise TypeError(f'ESAAT: backbone {type(backbone).__name__} has no attention '
                        'bypass; the entropy-based selection is implemented for HTNet.')
    if len(dataset) < 2:
        raise ValueError(f'ESAAT: only {len(dataset)} selection sample(s); the feature '
                         'entropy needs at least 2. Check the training subjects.')
    model.eval()
    cands = candidate_indices(backbone, candidates)
    batches = collect_inputs(model, dataset, batch_size)
    result = greedy_attention_removal(HTNetFeatureFunction(backbone, batches, cands),
                                      cands, k)
    result.update(num_samples=len(dataset),
                  indexing='HTNet global block index in processing order (level 0 first)')
    return result


__all__ = ['feature_entropy', 'greedy_attention_removal', 'HTNetFeatureFunction',
           'format_ranking', 'candidate_indices', 'collect_inputs',
           'select_attention_layers']
