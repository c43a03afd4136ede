"""Map official HTNet / EDMDBN weights onto mmmer's modules.

Two reference code bases publish weights that mmmer can re-score:

* HTNet ("HTNet for micro-expression recognition", Wang et al., Neurocomputing
  2024): one ``<subject>.pth`` per LOSO fold, the ``state_dict()`` of its
  ``Model.py`` network. Layout (processing order ``i`` = 0 for the finest
  level): ``to_patch_embedding.1`` is a 1x1 conv on (p1, p2, c)-flattened
  patches; ``layers.i.0`` is a level's transformer with ``pos_emb`` and
  ``layers.j.{0,1}`` pre-norm attention / feed-forward blocks whose norms hold
  ``g``/``b`` of shape (1, C, 1, 1) and whose projections are 1x1 convs
  (``fn.to_qkv``, ``fn.to_out.0``, ``fn.net.0``, ``fn.net.3``);
  ``layers.i.1.{0,1}`` is the 3x3 aggregate conv and its norm; ``mlp_head.0``
  the final norm and ``mlp_head.2`` the classifier. mmmer stores every 1x1 conv
  as a ``Linear`` and every channel norm as a plain vector (same numbers,
  reshaped).
* EDMDBN ("Entire-detail motion dual-branch network for micro-expression
  recognition", Ma et al., Pattern Recognition Letters 2025): PyTorch
  Lightning checkpoints whose ``state_dict`` prefixes the network with
  ``model.``; ``long_action_model`` / ``short_action_model`` are the entire /
  detail video-Swin branches (``layers.i`` = stage ``i`` with ``blocks``,
  ``downsample`` and the accumulated token attention ``sa_atten``, whose 1x1x1
  conv 2 -> 1 is mmmer's ``Linear(2, 1)`` and whose ``down`` entry duplicates
  the stage's ``downsample``), ``head.1`` the classifier, and ``vit_pos`` a
  network that the official forward never runs (dropped).

Every function here checks the whole key set: a key that is neither mapped nor
knowingly dropped is an error, as is an expected key that is absent.
"""
import os
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

import torch

__all__ = [
    'OfficialCheckpointError', 'convert_htnet_official', 'htnet_official_subject',
    'convert_edmdbn_official', 'edmdbn_official_hparams', 'check_strict_match',
    'save_checkpoint_atomic', 'ORACLE_SELECTION', 'SELECTION_FILE',
]

# The label tools/test.py carries into a summary of converted official weights.
ORACLE_SELECTION = 'oracle-selected official weights'
SELECTION_FILE = 'selection.json'


class OfficialCheckpointError(ValueError):
    """A checkpoint that does not have the layout the converter expects."""


def _fail(source: str, problem: str, keys: Iterable[str] = (), hint: str = ''):
    keys = sorted(keys)
    listed = ''
    if keys:
        shown = ', '.join(keys[:12]) + (f', ... ({len(keys)} in all)' if len(keys) > 12 else '')
        listed = f': {shown}'
    raise OfficialCheckpointError(f'{source}: {problem}{listed}.' + (f' {hint}' if hint else ''))


class _KeyTracker:
    """Reads keys of a source state dict and remembers which were used."""

    def __init__(self, state: Dict[str, torch.Tensor], source: str):
        self.state = state
        self.source = source
        self.used = set()
        self.missing: List[str] = []

    def take(self, key: str) -> Optional[torch.Tensor]:
        if key not in self.state:
            self.missing.append(key)
            return None
        self.used.add(key)
        return self.state[key]

    def drop(self, key: str):
        self.used.add(key)

    def finish(self, what: str):
        if self.missing:
            _fail(self.source, f'not a complete {what} state dict; missing keys',
                  self.missing)
        unexpected = set(self.state) - self.used
        if unexpected:
            _fail(self.source, f'keys that the {what} layout does not have', unexpected,
                  'Is this the right converter for this file?')


def _conv1x1(w: torch.Tensor, key: str, source: str) -> torch.Tensor:
    if w.dim() != 4 or tuple(w.shape[2:]) != (1, 1):
        _fail(source, f'{key} should be a 1x1 conv weight (out, in, 1, 1), got '
                      f'{tuple(w.shape)}')
    return w.reshape(w.shape[0], w.shape[1])


def _channel_vector(v: torch.Tensor, key: str, source: str) -> torch.Tensor:
    if v.dim() != 4 or v.shape[0] != 1 or tuple(v.shape[2:]) != (1, 1):
        _fail(source, f'{key} should be a channel-norm vector (1, C, 1, 1), got '
                      f'{tuple(v.shape)}')
    return v.reshape(-1)


def _strip_prefix(state: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    if state and all(k.startswith(prefix) for k in state):
        return OrderedDict((k[len(prefix):], v) for k, v in state.items())
    return state


# ------------------------------------------------------------------ HTNet
def convert_htnet_official(state: Dict[str, torch.Tensor], source: str = 'checkpoint',
                           input_order: str = 'file', in_channels: int = 3
                           ) -> 'OrderedDict[str, torch.Tensor]':
    """Official HTNet ``state_dict`` -> ``MEClassifier(HTNet, LinearClsHead)`` keys.

    Args:
        state: the official state dict (a ``module.`` prefix of DataParallel
            is removed).
        source: file name used in error messages.
        input_order: plane order of the inputs the converted model will get.
            The official code feeds cv2's (B, G, R) = (strain, v, u) planes
            (``'file'``); mmmer's ``LoadFlowImage`` default gives (u, v,
            strain) (``'uvs'``), for which the patch-embedding columns are
            permuted so that the converted model computes the same logits.
        in_channels: input planes (3).
    """
    if input_order not in ('file', 'uvs'):
        raise ValueError(f"input_order must be 'file' or 'uvs', got {input_order!r}")
    state = _strip_prefix(dict(state), 'module.')
    t = _KeyTracker(state, source)
    levels = sorted({int(m.group(1)) for k in state
                     for m in [re.fullmatch(r'layers\.(\d+)\.0\.pos_emb', k)] if m})
    if not levels or levels != list(range(len(levels))):
        _fail(source, 'no official HTNet levels (layers.<i>.0.pos_emb) found; keys are',
              list(state)[:12], 'Expected the state_dict() of the official Model.py HTNet.')
    out = OrderedDict()

    w = t.take('to_patch_embedding.1.weight')
    b = t.take('to_patch_embedding.1.bias')
    if w is not None:
        w = _conv1x1(w, 'to_patch_embedding.1.weight', source)
        if input_order == 'uvs':
            dim, patch_dim = w.shape
            if patch_dim % in_channels:
                _fail(source, f'patch embedding input {patch_dim} is not a multiple of '
                              f'{in_channels} planes')
            # columns are (p1, p2, c); official plane c is mmmer plane C-1-c.
            w = w.reshape(dim, -1, in_channels).flip(-1).reshape(dim, patch_dim)
        out['backbone.patch_embed.weight'] = w.contiguous()
    if b is not None:
        out['backbone.patch_embed.bias'] = b

    for i in levels:
        src, dst = f'layers.{i}', f'backbone.levels.{i}'
        out[f'{dst}.pos_embed'] = t.take(f'{src}.0.pos_emb')
        blocks = sorted({int(m.group(1)) for k in state for m in
                         [re.fullmatch(rf'layers\.{i}\.0\.layers\.(\d+)\.1\.norm\.g', k)] if m})
        for j in blocks:
            s, d = f'{src}.0.layers.{j}', f'{dst}.blocks.{j}'
            for sub, norm in (('0', 'attn_norm'), ('1', 'ffn_norm')):
                g, beta = t.take(f'{s}.{sub}.norm.g'), t.take(f'{s}.{sub}.norm.b')
                if g is not None:
                    out[f'{d}.{norm}.weight'] = _channel_vector(g, f'{s}.{sub}.norm.g', source)
                if beta is not None:
                    out[f'{d}.{norm}.bias'] = _channel_vector(beta, f'{s}.{sub}.norm.b', source)
            pairs = (('0.fn.to_qkv.weight', 'attn.qkv.weight'),
                     ('0.fn.to_out.0.weight', 'attn.proj.weight'),
                     ('1.fn.net.0.weight', 'ffn.fc1.weight'),
                     ('1.fn.net.3.weight', 'ffn.fc2.weight'))
            for a, c in pairs:
                w = t.take(f'{s}.{a}')
                if w is not None:
                    out[f'{d}.{c}'] = _conv1x1(w, f'{s}.{a}', source)
            for a, c in (('0.fn.to_out.0.bias', 'attn.proj.bias'),
                         ('1.fn.net.0.bias', 'ffn.fc1.bias'),
                         ('1.fn.net.3.bias', 'ffn.fc2.bias')):
                out[f'{d}.{c}'] = t.take(f'{s}.{a}')
        if i < len(levels) - 1:  # the last level's aggregate is an Identity
            a = f'backbone.aggregates.{i}'
            out[f'{a}.conv.weight'] = t.take(f'{src}.1.0.weight')
            out[f'{a}.conv.bias'] = t.take(f'{src}.1.0.bias')
            for p, q in (('g', 'weight'), ('b', 'bias')):
                v = t.take(f'{src}.1.1.{p}')
                if v is not None:
                    out[f'{a}.norm.{q}'] = _channel_vector(v, f'{src}.1.1.{p}', source)
    for p, q in (('g', 'weight'), ('b', 'bias')):
        v = t.take(f'mlp_head.0.{p}')
        if v is not None:
            out[f'backbone.norm.{q}'] = _channel_vector(v, f'mlp_head.0.{p}', source)
    out['head.fc.weight'] = t.take('mlp_head.2.weight')
    out['head.fc.bias'] = t.take('mlp_head.2.bias')
    t.finish('official HTNet (Model.py)')
    return out


_HTNET_SUBJECT_FORMS = (
    (r'sub\d+', 'casme2'),       # CASME II folders sub01..sub26
    (r's\d+', 'smic'),           # SMIC-HS s01..s20
    (r'\d{3}', 'samm'),          # SAMM 006..037
)


def htnet_official_subject(name: str) -> str:
    """mmmer's namespaced subject of an official HTNet weight file.

    The official loop names each fold's weights after its subject folder in
    ``datasets/three_norm_u_v_os``: ``sub01`` (CASME II), ``s01`` (SMIC),
    ``006`` (SAMM). mmmer namespaces subjects as ``casme2_sub01``,
    ``smic_s1``, ``samm_006``; those names are accepted as they are.
    """
    from mmmer.datasets.annotation import namespaced_subject
    stem = os.path.basename(name)
    stem = stem[:-4] if stem.endswith('.pth') else stem
    for pattern, dataset in _HTNET_SUBJECT_FORMS:
        if re.fullmatch(pattern, stem, flags=re.IGNORECASE):
            return namespaced_subject(dataset, stem)
        m = re.fullmatch(rf'{dataset}_({pattern})', stem, flags=re.IGNORECASE)
        if m:
            return namespaced_subject(dataset, m.group(1))
    raise OfficialCheckpointError(
        f'{name}: cannot tell the subject from the file name. Official HTNet weights '
        "are named by subject folder: 'sub<NN>.pth' (CASME II), 's<NN>.pth' (SMIC), "
        "'<NNN>.pth' with three digits (SAMM); mmmer names such as 'casme2_sub01.pth' "
        'also work. Rename the file or leave it out of the folder.')


# ------------------------------------------------------------------ EDMDBN
_EDMDBN_UNSUPPORTED = dict(
    use_pos_vit='the positional ViT fused into both branches',
    use_gap='global average pooling before the head',
    use_gmp='global max pooling before the head',
    use_feature_conv='a conv/BN block after feature concatenation')


def edmdbn_official_hparams(hparams: Optional[dict], source: str) -> dict:
    """The mmmer backbone/head settings an official run's hyper-parameters imply.

    Returns ``dict(token_attention=..., fusion=..., num_classes=...)`` with
    ``None`` for what the hyper-parameters do not say. Official switches that
    mmmer's EDMDBN does not build are refused.
    """
    hp = dict(hparams or {})
    model = hp.get('model')
    if model is not None and model != 'fusenet':
        _fail(source, f"hyper-parameter model={model!r}; only the dual-branch 'fusenet' "
                      'network of EDMDBN is supported')
    on = [k for k in _EDMDBN_UNSUPPORTED if hp.get(k)]
    if on:
        _fail(source, 'the run used options that mmmer\'s EDMDBN does not build ('
              + '; '.join(f'{k}: {_EDMDBN_UNSUPPORTED[k]}' for k in on) + ')')
    fusion = None
    if 'use_feature_concat' in hp:
        fusion = 'concat' if hp['use_feature_concat'] else 'add'
    return dict(token_attention=hp['use_swin_CA'] if 'use_swin_CA' in hp else None,
                fusion=fusion, num_classes=hp.get('num_classes'))


_SWIN_BLOCK_PARTS = ('norm1.weight', 'norm1.bias', 'attn.relative_position_bias_table',
                     'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight',
                     'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight',
                     'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias')


def _convert_swin_branch(t: _KeyTracker, src: str, dst: str, token_attention: bool,
                         out: dict):
    state, source = t.state, t.source
    for p in ('patch_embed.proj.weight', 'patch_embed.proj.bias',
              'patch_embed.norm.weight', 'patch_embed.norm.bias',
              'norm.weight', 'norm.bias'):
        out[f'{dst}.{p}'] = t.take(f'{src}.{p}')
    stages = sorted({int(m.group(1)) for k in state
                     for m in [re.fullmatch(rf'{re.escape(src)}\.layers\.(\d+)\..*', k)] if m})
    if not stages or stages != list(range(len(stages))):
        _fail(source, f'no Swin stages under {src}.layers.<i>')
    for i in stages:
        s, d = f'{src}.layers.{i}', f'{dst}.stages.{i}'
        blocks = sorted({int(m.group(1)) for k in state for m in
                         [re.fullmatch(rf'{re.escape(s)}\.blocks\.(\d+)\.norm1\.weight', k)] if m})
        for j in blocks:
            for part in _SWIN_BLOCK_PARTS:
                out[f'{d}.blocks.{j}.{part}'] = t.take(f'{s}.blocks.{j}.{part}')
            # a deterministic index buffer, rebuilt by mmmer from the window
            if f'{s}.blocks.{j}.attn.relative_position_index' in state:
                t.drop(f'{s}.blocks.{j}.attn.relative_position_index')
        last = i == len(stages) - 1
        if not last:
            for p in ('norm.weight', 'norm.bias', 'reduction.weight'):
                v = t.take(f'{s}.downsample.{p}')
                out[f'{dst}.downsamples.{i}.{p}'] = v
                dup = f'{s}.sa_atten.down.{p}'
                if dup in state:  # the token attention's alias of the same module
                    same = v is None or (state[dup].shape == v.shape and (
                        v.is_meta or torch.equal(state[dup], v)))
                    if not same:
                        _fail(source, f'{dup} differs from {s}.downsample.{p}; in the official '
                                      'network both name one module, so the file is corrupt')
                    t.drop(dup)
        w, b = t.take(f'{s}.sa_atten.conv.weight'), t.take(f'{s}.sa_atten.conv.bias')
        if token_attention and w is not None:
            if tuple(w.shape) != (1, 2, 1, 1, 1):
                _fail(source, f'{s}.sa_atten.conv.weight should be (1, 2, 1, 1, 1), got '
                              f'{tuple(w.shape)}')
            out[f'{dst}.token_attentions.{i}.fc.weight'] = w.reshape(1, 2)
            out[f'{dst}.token_attentions.{i}.fc.bias'] = b


def convert_edmdbn_official(checkpoint: dict, source: str = 'checkpoint',
                            token_attention: Optional[bool] = None
                            ) -> Tuple['OrderedDict[str, torch.Tensor]', dict]:
    """Official EDMDBN checkpoint -> ``MEClassifier(EDMDBN, LinearClsHead)`` keys.

    Args:
        checkpoint: a Lightning checkpoint (``state_dict`` with ``model.``
            keys and ``hyper_parameters``) or a bare network state dict.
        token_attention: whether the run used the accumulated token attention
            (``use_swin_CA``); ``None`` reads it from the hyper-parameters.
            The official network always holds its parameters, so the state
            dict alone cannot tell.

    Returns ``(state_dict, info)``; ``info`` has ``branches``,
    ``token_attention``, ``fusion``, ``num_classes`` and ``dropped`` (count
    of never-executed parameters left out, e.g. ``vit_pos``).
    """
    if 'state_dict' in checkpoint and isinstance(checkpoint['state_dict'], dict):
        state, hparams = checkpoint['state_dict'], checkpoint.get('hyper_parameters')
    else:
        state, hparams = checkpoint, None
    settings = edmdbn_official_hparams(hparams, source)
    if token_attention is None:
        token_attention = settings['token_attention']
    if token_attention is None:
        _fail(source, 'has no hyper-parameters saying whether the accumulated token '
                      'attention (use_swin_CA) was on', (),
              'Pass --token-attention on|off.')
    state = _strip_prefix(dict(state), 'module.')
    # Lightning: the LightningModule holds the network as `self.model`;
    # torchmetrics states (if saved) are not part of it.
    net = OrderedDict()
    ignored = []
    for k, v in state.items():
        if k.startswith('model.'):
            net[k[len('model.'):]] = v
        elif k.startswith('val_metric.'):
            ignored.append(k)
        else:
            net[k] = v
    t = _KeyTracker(net, source)
    dropped = 0
    for k, v in net.items():
        if k.startswith('vit_pos.'):
            t.drop(k)
            dropped += v.numel()
    out = OrderedDict()
    branches = []
    for src, name in (('long_action_model', 'entire'), ('short_action_model', 'detail')):
        if any(k.startswith(src + '.') for k in net):
            branches.append(name)
            _convert_swin_branch(t, src, f'backbone.{name}_branch', bool(token_attention), out)
    if not branches:
        _fail(source, 'no EDMDBN branch (long_action_model / short_action_model) found; '
                      'keys are', list(net)[:12])
    out['head.fc.weight'] = t.take('head.1.weight')
    out['head.fc.bias'] = t.take('head.1.bias')
    t.finish('official EDMDBN (LongShortActionFuseNet)')
    if not token_attention:
        dropped += sum(net[k].numel() for k in net if '.sa_atten.conv.' in k)
    num_classes = int(out['head.fc.weight'].shape[0])
    if settings['num_classes'] is not None and settings['num_classes'] != num_classes:
        _fail(source, f"hyper-parameter num_classes={settings['num_classes']} but the head "
                      f'has {num_classes} outputs')
    info = dict(branches=tuple(branches), token_attention=bool(token_attention),
                fusion=settings['fusion'] or 'add', num_classes=num_classes,
                dropped=dropped, ignored=ignored,
                epoch=checkpoint.get('epoch') if 'state_dict' in checkpoint else None)
    return out, info


# ------------------------------------------------------------------ checks
def check_strict_match(converted: Dict[str, torch.Tensor],
                       target: Dict[str, torch.Tensor], source: str, config: str):
    """Raise unless ``converted`` has exactly ``target``'s keys and shapes."""
    missing = set(target) - set(converted)
    unexpected = set(converted) - set(target)
    if missing:
        _fail(source, f'after conversion, the model of {config} has parameters the file '
                      'does not provide', missing,
              'The config builds a different network (sizes, LAPE, ESAAT, branches, token '
              'attention?); use --cfg-options to match the checkpoint.')
    if unexpected:
        _fail(source, f'after conversion, the file has parameters the model of {config} '
                      'lacks', unexpected,
              'The config builds a different network; use --cfg-options to match it.')
    bad = [f'{k} {tuple(converted[k].shape)} vs {tuple(target[k].shape)}'
           for k in sorted(target) if tuple(converted[k].shape) != tuple(target[k].shape)]
    if bad:
        _fail(source, f'shapes differ from the model of {config} (file vs config)', bad,
              'Match the sizes with --cfg-options (e.g. model.backbone.dim, '
              'model.head.num_classes).')


def save_checkpoint_atomic(checkpoint: dict, path: str):
    """``torch.save`` to a temporary file in the same folder, then rename."""
    from mmmer.utils.io import _atomic_write
    _atomic_write(path, lambda f: torch.save(checkpoint, f), mode='wb')
