"""Benchmark a config: train throughput, inference latency, peak memory.

    python tools/analysis/benchmark.py CONFIG [--batch-size 256] [--infer-batch 1]
        [--iters 20] [--infer-iters N] [--warmup 5] [--threads 2] [--device cpu|cuda]
        [--shape C H W] [--json OUT] [--cfg-options k=v ...]
        [--reference htnet_official|htnet_official_main]

Train: median samples/s of ``model.train_step`` (forward + backward + the
config's optim_wrapper step) on random inputs of the config's input_shape and
random labels. Inference: ``model.test_step`` latency at batch 1 and at
``--infer-batch``. Memory: peak RSS (CPU, getrusage) and
``torch.cuda.max_memory_allocated`` (CUDA). ``--reference`` times the HTNet
authors' network (mmmer.analysis.reference_models) in turn with the model and
prints the train speed-up and the batch-1 latency ratio.
"""
import argparse
import os

from mmengine.config import Config, DictAction

from mmmer.analysis.benchmark import benchmark_config, format_report
from mmmer.utils.io import dump_json_atomic
from mmmer.utils.cli import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--batch-size', type=int, default=256,
                   help='training batch size')
    p.add_argument('--infer-batch', type=int, default=1,
                   help='inference batch timed besides batch 1')
    p.add_argument('--iters', type=int, default=20, help='timed repetitions')
    p.add_argument('--infer-iters', type=int, default=None,
                   help='timed inference calls (default: --iters)')
    p.add_argument('--warmup', type=int, default=5, help='untimed repetitions')
    p.add_argument('--threads', type=int, default=2,
                   help='torch.set_num_threads (0 keeps the default)')
    p.add_argument('--device', default='cuda' if _cuda() else 'cpu')
    p.add_argument('--shape', type=int, nargs='+', default=None)
    p.add_argument('--json', default=None, help='write the numbers here')
    p.add_argument('--reference', default=None,
                   choices=['htnet_official', 'htnet_official_main'],
                   help="time the HTNet authors' network side by side: with the "
                        "config backbone's geometry, or as their main_HTNet.py builds it")
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def _cuda():
    import torch
    return torch.cuda.is_available()


def main(argv=None):
    args = parse_args(argv)
    if not os.path.isfile(args.config):
        raise FileNotFoundError(f'config {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    res = benchmark_config(cfg, batch_size=args.batch_size,
                           infer_batch=args.infer_batch, iters=args.iters,
                           warmup=args.warmup, threads=args.threads,
                           device=args.device, shape=args.shape,
                           reference=args.reference, infer_iters=args.infer_iters)
    print(f'config: {args.config}')
    print(format_report(res))
    if args.json:
        dump_json_atomic(res, args.json)
        print(f'json: {args.json}')
    return res


if __name__ == '__main__':
    run_cli(main)
