"""Convert official HTNet weights into mmmer checkpoints.

HTNet: Wang et al., "HTNet for micro-expression recognition" (Neurocomputing
2024). Its training script saves one ``<subject>.pth`` per LOSO fold: the
``state_dict()`` of its ``Model.py`` network at the epoch with the best
accuracy *on that fold's test subject*.

    # one file -> one mmmer checkpoint
    python tools/model_converters/htnet_official.py sub01.pth sub01_mmmer.pth

    # a folder of <subject>.pth -> a LOSO work dir that tools/test.py re-scores
    python tools/model_converters/htnet_official.py weights/ work_dirs/htnet_official
    python tools/test.py configs/htnet/htnet_3db.py work_dirs/htnet_official

Every converted state dict is checked key by key and shape by shape against
the model of ``--config`` and loaded into it strictly before it is written
(atomically). Folder mode writes ``fold_<subject>/official_<name>.pth`` with a
``last_checkpoint`` marker per subject (``sub01`` -> ``casme2_sub01``,
``s01`` -> ``smic_s1``, ``006`` -> ``samm_006``) and ``selection.json``, which
makes tools/test.py label the summary "oracle-selected official weights".
"""
import os
import os.path as osp

from mmmer.models.utils.official_checkpoint_io import (
    build_target_model, converter_parser, load_config, torch_load, verify_and_pack)


def parse_args(argv=None):
    parser = converter_parser(
        description='Official HTNet weights (Model.py state dicts) -> mmmer checkpoints.',
        epilog='SRC may be one <subject>.pth (then DST is the output file) or a folder of '
               'them (then DST is a LOSO work dir for tools/test.py). Official weights are '
               'best-epoch picks on each test subject; re-scored summaries are labelled '
               '"oracle-selected official weights".',
        src_help='official .pth file or folder of <subject>.pth files',
        dst_help='output .pth file, or LOSO work dir in folder mode',
        default_config='htnet/htnet_3db.py',
        cfg_example='model.backbone.block_repeats="(2,2,8)" for the three-dataset '
                    "script's network")
    parser.add_argument('--input-order', choices=['auto', 'uvs', 'file'], default='auto',
                        help="plane order the config's data gives the model: 'file' = the "
                             "PNG's (strain, v, u) planes as the official code reads them, "
                             "'uvs' = mmmer's (u, v, strain); 'auto' reads LoadFlowImage's "
                             'channel_order from the config (default)')
    parser.add_argument('--force', action='store_true',
                        help='overwrite existing outputs')
    return parser.parse_args(argv)


def config_input_order(cfg) -> str:
    """``channel_order`` of the LoadFlowImage steps of the config's test data."""
    found = set()

    def visit(node):
        if isinstance(node, dict):
            if node.get('type') == 'LoadFlowImage':
                found.add(node.get('channel_order', 'uvs'))
            for v in node.values():
                visit(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                visit(v)

    visit(cfg.get('test_dataloader', {}))
    if len(found) != 1:
        raise SystemExit(
            f'{cfg.filename}: cannot tell the input plane order (LoadFlowImage '
            f'channel_order values found: {sorted(found) or "none"}); pass --input-order '
            'uvs or --input-order file.')
    return found.pop()


def convert_file(model, cfg, src, input_order, extra_meta=None):
    import torch

    from mmmer.models.utils.official_checkpoints import convert_htnet_official
    state = torch_load(src)
    if isinstance(state, dict) and 'state_dict' in state and isinstance(state['state_dict'], dict):
        state = state['state_dict']
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise SystemExit(f'{src}: expected the state_dict() of the official HTNet, got '
                         f'{type(state).__name__}')
    in_channels = int(cfg.model.get('backbone', {}).get('in_channels', 3))
    converted = convert_htnet_official(state, source=src, input_order=input_order,
                                       in_channels=in_channels)
    meta = dict(converter='tools/model_converters/htnet_official.py',
                converted_from=osp.abspath(src),
                source_format='official HTNet (Model.py) state_dict',
                input_order=input_order, **(extra_meta or {}))
    return verify_and_pack(model, converted, src, cfg.filename, meta)


def folder_subjects(src_dir):
    """``{namespaced subject: file}``; refuses unknown and duplicate subjects."""
    from mmmer.models.utils.official_checkpoints import htnet_official_subject
    files = sorted(f for f in os.listdir(src_dir) if f.endswith('.pth'))
    if not files:
        raise SystemExit(f'{src_dir}: no .pth files (expected official <subject>.pth weights)')
    subjects = {}
    for f in files:
        subject = htnet_official_subject(f)
        if subject in subjects:
            raise SystemExit(f'{src_dir}: {subjects[subject]} and {f} both name subject '
                             f'{subject}; keep one of them.')
        subjects[subject] = f
    return subjects


def check_known_subjects(cfg, subjects):
    """Against the config's MEGC2019 3DB subject table, when it has one."""
    table = (cfg.get('expected_counts') or {}).get('per_subject')
    if not table:
        return []
    unknown = sorted(set(subjects) - set(table))
    if unknown:
        raise SystemExit(
            f'subjects {unknown} (files {[subjects[s] for s in unknown]}) are not in the '
            f"3DB subject list of {cfg.filename}; known: {sorted(table)}")
    return sorted(set(table) - set(subjects))


def convert_folder(model, cfg, src_dir, dst_dir, input_order, force=False):
    from mmmer.engine import fold_dir_name
    from mmmer.models.utils.official_checkpoints import (ORACLE_SELECTION, SELECTION_FILE,
                                                         save_checkpoint_atomic)
    from mmmer.utils.io import dump_json_atomic, write_text_atomic
    subjects = folder_subjects(src_dir)
    absent = check_known_subjects(cfg, subjects)
    if absent:
        print(f'warning: no weights for {len(absent)} subject(s) of the 3DB: {absent}; '
              'tools/test.py needs every fold (or restrict it with loso.subjects).')
    os.makedirs(dst_dir, exist_ok=True)
    for subject, name in subjects.items():
        fold = osp.join(dst_dir, fold_dir_name(subject))
        out = osp.join(fold, 'official_' + name)
        if osp.exists(out) and not force:
            raise SystemExit(f'{out} exists; pass --force to overwrite it.')
        ckpt = convert_file(model, cfg, osp.join(src_dir, name), input_order,
                            dict(subject=subject, selection=ORACLE_SELECTION))
        save_checkpoint_atomic(ckpt, out)
        write_text_atomic(osp.abspath(out), osp.join(fold, 'last_checkpoint'))
        print(f'{name} -> {out}')
    dump_json_atomic(dict(
        selection=ORACLE_SELECTION,
        rule='official HTNet training: for each LOSO fold, the weights of the epoch with '
             'the best accuracy on that fold\'s test subject (later ties win); the '
             'scores of these weights are optimistic',
        source=osp.abspath(src_dir), config=cfg.filename, input_order=input_order,
        subjects={s: f for s, f in subjects.items()}), osp.join(dst_dir, SELECTION_FILE))
    return subjects


def main(argv=None):
    args = parse_args(argv)
    from mmmer.models.utils.official_checkpoints import (OfficialCheckpointError,
                                                         save_checkpoint_atomic)
    cfg = load_config(args.config, args.cfg_options)
    order = config_input_order(cfg) if args.input_order == 'auto' else args.input_order
    model = build_target_model(cfg)
    try:
        if osp.isdir(args.src):
            subjects = convert_folder(model, cfg, args.src, args.dst, order, args.force)
            print(f'{len(subjects)} fold(s) in {args.dst}; re-score with: python tools/test.py '
                  f'{args.config} {args.dst}')
        else:
            if osp.isdir(args.dst):
                raise SystemExit(f'{args.dst} is a folder; give an output .pth file for one '
                                 'input file (or a folder of weights as SRC).')
            if osp.exists(args.dst) and not args.force:
                raise SystemExit(f'{args.dst} exists; pass --force to overwrite it.')
            save_checkpoint_atomic(convert_file(model, cfg, args.src, order), args.dst)
            print(f'{args.src} -> {args.dst} (input order {order})')
    except OfficialCheckpointError as e:
        raise SystemExit(f'error: {e}')


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
