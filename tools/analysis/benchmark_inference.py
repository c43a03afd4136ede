"""End-to-end latency of one clip: preprocessing + model, per config.

    python tools/analysis/benchmark_inference.py CONFIG [CONFIG ...]
        [--checkpoint CKPT] [--repeat 5] [--frame-size 256] [--cfg-options ...]

Renders one synthetic clip (``mmmer.datasets.synthetic``, frame size
``--frame-size``) into a temporary folder, builds each config's model
(random weights unless ``--checkpoint``) and times ``inference_model`` on
the clip's frame files: the first call (which loads dlib/MTCNN and creates
OpenCV's TV-L1 object) separately, then the median of ``--repeat`` calls,
split into preprocessing and model forward.
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time
import warnings

from mmengine.config import DictAction


def main(argv=None):
    p = argparse.ArgumentParser(description='clip inference latency')
    p.add_argument('configs', nargs='+')
    p.add_argument('--checkpoint')
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--frame-size', type=int, default=256)
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    import torch

    from mmmer.apis import init_model
    from mmmer.apis.inference import _finish, get_clip_pipeline
    from mmmer.datasets.synthetic import FRAMES_DIR, generate_synthetic_dataset
    tmp = tempfile.mkdtemp(prefix='mmmer_bench_')
    rec = generate_synthetic_dataset(osp.join(tmp, 'clips'), num_subjects=1,
                                     clips_per_class=1, seed=0, frame_size=args.frame_size)
    c = rec['clips'][0]
    folder = osp.join(tmp, 'clips', FRAMES_DIR, c['subject'], c['clip'])
    clip = {k: osp.join(folder, f'reg_img{c[k]}.jpg') for k in ('onset', 'apex', 'offset')}
    print(f'clip {c["subject"]}/{c["clip"]} {args.frame_size}x{args.frame_size}, '
          f'torch threads {torch.get_num_threads()}')
    print('| config | first clip (s) | preprocessing (s) | model (s) | total (s) |')
    print('|---|---|---|---|---|')
    rows = []
    for config in args.configs:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            model = init_model(config, args.checkpoint, device=args.device,
                               cfg_options=args.cfg_options)
        pipeline = get_clip_pipeline(model)

        def once():
            t0 = time.perf_counter()
            item = pipeline.run(dict(clip))
            t1 = time.perf_counter()
            with torch.no_grad():
                _finish(model, model.test_step(dict(inputs=[item['inputs']],
                                                    data_samples=[item['data_samples']])))
            t2 = time.perf_counter()
            return t1 - t0, t2 - t1
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            first = sum(once())
            runs = [once() for _ in range(args.repeat)]
        pre = statistics.median(r[0] for r in runs)
        fwd = statistics.median(r[1] for r in runs)
        tot = statistics.median(r[0] + r[1] for r in runs)
        rows.append(dict(config=config, first=first, pre=pre, model=fwd, total=tot))
        print(f'| {config} | {first:.3f} | {pre:.3f} | {fwd:.3f} | {tot:.3f} |')
    return rows


if __name__ == '__main__':
    from mmmer.utils.cli import run_cli
    run_cli(main)
