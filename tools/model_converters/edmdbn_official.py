"""Convert an official EDMDBN Lightning checkpoint into an mmmer checkpoint.

EDMDBN: Ma et al., "Entire-detail motion dual-branch network for
micro-expression recognition" (Pattern Recognition Letters 2025). Its trainer
(PyTorch Lightning) keeps, per LOSO fold, the checkpoint with the best UF1 on
the held-out subject: ``fold<i>-epoch=..-acc=..-uf1=..-uar=...ckpt``, whose
``state_dict`` holds the network under ``model.`` and whose
``hyper_parameters`` record the switches of the run.

    python tools/model_converters/edmdbn_official.py fold3-epoch=41-....ckpt fold3.pth
    python tools/test.py configs/edmdbn/swin_aa_casme2.py fold3.pth --subjects casme2_sub04

The hyper-parameters decide the network (``use_swin_CA`` = token attention,
``use_feature_concat`` = fusion, ``num_classes``); they must match the config,
which is checked, and the converted state dict is loaded strictly into the
config's model before it is written (atomically). The never-run positional ViT
(``vit_pos``) and the duplicated ``sa_atten.down`` entries are left out.
"""
import os.path as osp

from mmmer.models.utils.official_checkpoint_io import (
    build_target_model, converter_parser, load_config, torch_load, verify_and_pack)


def parse_args(argv=None):
    parser = converter_parser(
        description='Official EDMDBN Lightning checkpoint -> mmmer checkpoint.',
        epilog='The official checkpoint of a fold is its best epoch by UF1 on the test '
               'subject (an optimistic selection); the written meta says so.',
        src_help='official .ckpt (Lightning) or a bare state dict',
        dst_help='output .pth file', default_config='edmdbn/swin_aa_casme2.py',
        cfg_example='model.head.num_classes=5')
    parser.add_argument('--token-attention', choices=['auto', 'on', 'off'], default='auto',
                        help="whether the run used use_swin_CA; 'auto' reads the "
                             'checkpoint\'s hyper-parameters (default)')
    parser.add_argument('--trust-pickle', action='store_true',
                        help='load with weights_only=False (Lightning hyper-parameters may '
                             'hold numpy arrays); only for files you trust')
    parser.add_argument('--force', action='store_true', help='overwrite DST')
    return parser.parse_args(argv)


def check_config(cfg, info, source):
    """The config's EDMDBN must be the official network the checkpoint holds."""
    bb, head = cfg.model.get('backbone', {}), cfg.model.get('head', {})
    wanted = dict(type='EDMDBN', variant='official',
                  token_attention=info['token_attention'],
                  branches=tuple(info['branches']), fusion=info['fusion'])
    have = dict(type=bb.get('type'), variant=bb.get('variant', 'official'),
                token_attention=bb.get('token_attention', True),
                branches=tuple(bb.get('branches', ('entire', 'detail'))),
                fusion=bb.get('fusion', 'add'))
    if len(info['branches']) == 1:
        wanted.pop('fusion')
        have.pop('fusion')
    diff = [f'model.backbone.{k}={wanted[k]!r} (config: {have[k]!r})'
            for k in wanted if have[k] != wanted[k]]
    if head.get('num_classes') != info['num_classes']:
        diff.append(f"model.head.num_classes={info['num_classes']} "
                    f"(config: {head.get('num_classes')!r})")
    if diff:
        raise SystemExit(f'{source}: the checkpoint needs ' + '; '.join(diff)
                         + f'. Choose a matching config or set these with --cfg-options '
                           f'(config {cfg.filename}).')


def main(argv=None):
    args = parse_args(argv)
    from mmmer.models.utils.official_checkpoints import (ORACLE_SELECTION,
                                                         OfficialCheckpointError,
                                                         convert_edmdbn_official,
                                                         save_checkpoint_atomic)
    if osp.exists(args.dst) and not args.force:
        raise SystemExit(f'{args.dst} exists; pass --force to overwrite it.')
    cfg = load_config(args.config, args.cfg_options)
    checkpoint = torch_load(args.src, trust_pickle=args.trust_pickle)
    if not isinstance(checkpoint, dict):
        raise SystemExit(f'{args.src}: expected a Lightning checkpoint or a state dict, got '
                         f'{type(checkpoint).__name__}')
    token_attention = dict(auto=None, on=True, off=False)[args.token_attention]
    try:
        state, info = convert_edmdbn_official(checkpoint, args.src, token_attention)
        check_config(cfg, info, args.src)
        model = build_target_model(cfg)
        meta = dict(converter='tools/model_converters/edmdbn_official.py',
                    converted_from=osp.abspath(args.src),
                    source_format='official EDMDBN Lightning checkpoint',
                    source_epoch=info['epoch'], dropped_never_run_params=info['dropped'],
                    selection=ORACLE_SELECTION)
        ckpt = verify_and_pack(model, state, args.src, cfg.filename, meta)
    except OfficialCheckpointError as e:
        raise SystemExit(f'error: {e}')
    save_checkpoint_atomic(ckpt, args.dst)
    print(f"{args.src} -> {args.dst} (branches {', '.join(info['branches'])}, token "
          f"attention {'on' if info['token_attention'] else 'off'}, {info['num_classes']} "
          f"classes; {info['dropped']} never-run parameters left out)")


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
