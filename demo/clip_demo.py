"""Classify one micro-expression clip and draw what the model saw.

    python demo/clip_demo.py CONFIG CHECKPOINT --onset ONSET.jpg --apex APEX.jpg \\
        [--offset OFFSET.jpg] [--out-dir DIR] [--json]
    python demo/clip_demo.py CONFIG CHECKPOINT --video CLIP.mp4 \\
        --onset-frame N [--apex-frame M] [--offset-frame K] [--out-dir DIR]
    python demo/clip_demo.py CONFIG CHECKPOINT --frames-dir FOLDER \\
        --onset-frame N [--apex-frame M] [--offset-frame K]
    python demo/clip_demo.py CONFIG CHECKPOINT --flow FLOW.png --apex-face FACE.jpg

CHECKPOINT is a ``.pth`` file or the ``WORK_DIR/all_subjects`` folder made by
``python tools/train.py CONFIG --all-subjects`` (``none``: random weights, for
trying the plumbing). Frame numbers of ``--video`` are 0-based; those of
``--frames-dir`` are the numbers in the file names. Without ``--apex-frame``
the apex is estimated from onset..offset (peak of the head-motion-compensated
mean optical-flow magnitude against the onset).

Prints the predicted class and the class scores, and writes
``OUT_DIR/<clip>.png``: aligned face + landmarks, flow colour wheel, strain,
the exact model input, the score bar chart and a Grad-CAM overlay. With
``--json`` the last line of stdout is one JSON object (``pred_label``,
``pred_class``, ``scores``, ``face_fallback``, ``picture``, ``panels``, ...).
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='mmmer: classify one clip')
    p.add_argument('config')
    p.add_argument('checkpoint', help=".pth, a run folder, WORK_DIR/all_subjects, or 'none'")
    p.add_argument('--onset', help='onset frame image')
    p.add_argument('--apex', help='apex frame image')
    p.add_argument('--offset', help='offset frame image (configs that need it)')
    p.add_argument('--video', help='a video file (with --onset-frame ...)')
    p.add_argument('--frames-dir', help='a folder of frame images (with --onset-frame ...)')
    p.add_argument('--onset-frame', type=int)
    p.add_argument('--apex-frame', type=int)
    p.add_argument('--offset-frame', type=int)
    p.add_argument('--flow', help='precomputed flow image (flow-image configs)')
    p.add_argument('--apex-face', help='apex face image for --flow')
    p.add_argument('--out-dir', default='outputs/clip_demo')
    p.add_argument('--no-gradcam', action='store_true')
    p.add_argument('--device', default='cpu')
    p.add_argument('--json', action='store_true', help='last stdout line: one JSON object')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    sources = [args.video is not None, args.frames_dir is not None,
               args.onset is not None or args.apex is not None, args.flow is not None]
    if sum(sources) != 1:
        p.error('give exactly one input: --onset/--apex images, --video, --frames-dir '
                'or --flow')
    if (args.video or args.frames_dir) and args.onset_frame is None:
        p.error('--video / --frames-dir need --onset-frame and --apex-frame (or '
                '--offset-frame to estimate the apex)')
    if sources[2] and (args.onset is None or args.apex is None):
        p.error('give both --onset and --apex')
    return args


def build_clip(args) -> dict:
    if args.flow is not None:
        return dict(flow=args.flow, apex_face=args.apex_face,
                    name=osp.splitext(osp.basename(args.flow))[0])
    if args.video is not None or args.frames_dir is not None:
        clip = dict(onset_frame=args.onset_frame, apex_frame=args.apex_frame,
                    offset_frame=args.offset_frame)
        if args.video is not None:
            clip['video'] = args.video
            base = osp.splitext(osp.basename(args.video))[0]
        else:
            clip['frames_dir'] = args.frames_dir
            base = osp.basename(osp.normpath(args.frames_dir))
        clip['name'] = f'{base}_{args.onset_frame}'
        return clip
    return dict(onset=args.onset, apex=args.apex, offset=args.offset,
                name=osp.splitext(osp.basename(args.apex))[0])


def main(argv=None):
    args = parse_args(argv)
    import warnings

    from mmmer.apis import MERInferencer
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        inferencer = MERInferencer(args.config, checkpoint, device=args.device,
                                   cfg_options=args.cfg_options)
        out = inferencer(build_clip(args), out_dir=args.out_dir,
                         gradcam=not args.no_gradcam)
    notes = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    for note in notes:
        print(f'warning: {note}', file=sys.stderr)
    pred = dict(out['predictions'][0])
    vis = out['visualization'][0]
    pred.update(picture=vis['file'], panels=vis['panels'], picture_size=list(vis['size']),
                config=args.config, checkpoint=args.checkpoint, warnings=notes)
    print(f"clip: {pred.get('name')}")
    if pred.get('apex_estimate'):
        print(f"apex estimated at frame {pred['apex_estimate']['apex_frame']}")
    print(f"prediction: {pred['pred_class']} (label {pred['pred_label']})")
    for name, score in pred['scores'].items():
        print(f'  {name:>12s}: {score:.4f}')
    if pred['face_fallback']:
        print(f"NOTE: no face found ({pred.get('fallback_step')}); fallback points were "
              'used, the prediction is less reliable.')
    print(f"picture: {vis['file']}")
    if args.json:
        print(json.dumps(pred))
    return pred


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
