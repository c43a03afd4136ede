"""Training throughput, inference latency and peak memory of a config's model.

Everything runs through the model's own MMEngine entry points, so the numbers
include what a real run pays: ``train_step`` (data_preprocessor -> forward ->
loss -> backward -> the config's optimizer step via its optim_wrapper) and
``test_step`` (data_preprocessor -> forward -> predictions). Inputs are random
tensors of the config's ``input_shape`` with random labels, so the data
pipeline is deliberately excluded.
"""
import os
import resource
import statistics
import sys
import time
from typing import Callable, Dict, Optional, Sequence

import torch

from .complexity import build_model_from_cfg, input_shape_of


def _sync(device: torch.device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_repeated(fn: Callable[[], object], iters: int, warmup: int,
                  device: torch.device) -> Dict[str, float]:
    """Run ``fn`` ``warmup`` times untimed, then ``iters`` times timed.

    Returns median/min/max seconds per call (the median resists the stragglers
    of a shared machine better than the mean).
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    for _ in range(max(warmup, 0)):
        fn()
    _sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return dict(median=statistics.median(times), min=min(times),
                max=max(times), iters=iters, warmup=warmup)


def peak_host_rss_mb() -> float:
    """Peak resident set size of this process in MiB (getrusage)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 1024 ** 2 if sys.platform == 'darwin' else peak / 1024


def current_host_rss_mb() -> Optional[float]:
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process(os.getpid()).memory_info().rss / 1024 ** 2


def random_batch(batch_size: int, input_shape: Sequence[int], num_classes: int,
                 device: torch.device, with_labels: bool = True,
                 generator: Optional[torch.Generator] = None) -> dict:
    """A packed batch as the dataloader would give it (random values)."""
    from mmmer.structures import MEDataSample
    inputs = torch.randn(batch_size, *input_shape, generator=generator)
    samples = None
    if with_labels:
        labels = torch.randint(0, num_classes, (batch_size, ),
                               generator=generator)
        samples = [MEDataSample().set_gt_label(int(y)) for y in labels]
    return dict(inputs=inputs.to(device), data_samples=samples)


def num_classes_of(model) -> int:
    head = getattr(model, 'head', None)
    if head is None or not hasattr(head, 'num_classes'):
        raise AttributeError('benchmark needs a model with `head.num_classes` '
                             '(an MEClassifier).')
    return int(head.num_classes)


def benchmark_model(model, optim_wrapper_cfg: dict, input_shape: Sequence[int],
                    batch_size: int = 256, infer_batch: int = 1,
                    iters: int = 20, warmup: int = 5,
                    device: str = 'cpu', seed: int = 0) -> dict:
    """Benchmark a built model; see the module docstring for what is timed."""
    from mmengine.optim import build_optim_wrapper
    dev = torch.device(device)
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda requested but CUDA is not available.')
    gen = torch.Generator().manual_seed(seed)
    model = model.to(dev)
    num_classes = num_classes_of(model)
    result = dict(device=str(dev), input_shape=list(input_shape),
                  batch_size=batch_size, infer_batch=infer_batch,
                  torch_threads=torch.get_num_threads(),
                  torch_version=torch.__version__)
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(dev)
        result['gpu_name'] = torch.cuda.get_device_name(dev)

    # Training: one train_step = forward + backward + optimizer step.
    optim_wrapper = build_optim_wrapper(model, optim_wrapper_cfg)
    train_batch = random_batch(batch_size, input_shape, num_classes, dev,
                               generator=gen)
    model.train()
    train = time_repeated(lambda: model.train_step(train_batch, optim_wrapper),
                          iters, warmup, dev)
    train['samples_per_s'] = batch_size / train['median']
    result['train'] = train
    if dev.type == 'cuda':
        result['train_peak_gpu_mem_mb'] = \
            torch.cuda.max_memory_allocated(dev) / 1024 ** 2
        torch.cuda.reset_peak_memory_stats(dev)

    # Inference latency at batch 1 and at the chosen batch.
    model.eval()
    result['inference'] = {}
    for bs in dict.fromkeys([1, infer_batch]):
        batch = random_batch(bs, input_shape, num_classes, dev, False, gen)
        with torch.no_grad():
            stats = time_repeated(lambda: model.test_step(batch), iters,
                                  warmup, dev)
        stats['latency_ms'] = stats['median'] * 1e3
        stats['samples_per_s'] = bs / stats['median']
        result['inference'][f'batch_{bs}'] = stats
    if dev.type == 'cuda':
        result['infer_peak_gpu_mem_mb'] = \
            torch.cuda.max_memory_allocated(dev) / 1024 ** 2
    result['peak_host_rss_mb'] = peak_host_rss_mb()
    rss = current_host_rss_mb()
    if rss is not None:
        result['host_rss_mb'] = rss
    return result


def benchmark_config(cfg, batch_size=256, infer_batch=1, iters=20, warmup=5,
                     threads: Optional[int] = 2, device='cpu',
                     shape: Optional[Sequence[int]] = None) -> dict:
    """Build ``cfg.model`` and ``cfg.optim_wrapper`` and benchmark them."""
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    model = build_model_from_cfg(cfg)
    if 'optim_wrapper' not in cfg:
        raise KeyError(f'{getattr(cfg, "filename", "config")} has no '
                       '`optim_wrapper`; compose a schedule base.')
    res = benchmark_model(model, cfg.optim_wrapper, input_shape_of(cfg, shape),
                          batch_size=batch_size, infer_batch=infer_batch,
                          iters=iters, warmup=warmup, device=device)
    res['config'] = getattr(cfg, 'filename', None)
    res['optimizer'] = cfg.optim_wrapper.get('optimizer', {}).get('type')
    res['optim_wrapper'] = cfg.optim_wrapper.get('type', 'OptimWrapper')
    return res


def format_report(res: dict) -> str:
    """Human-readable, one labelled number per line."""
    tr = res['train']
    lines = [
        f'device: {res["device"]}' + (f' ({res["gpu_name"]})'
                                      if 'gpu_name' in res else ''),
        f'torch_threads: {res["torch_threads"]}',
        'input_shape: ' + ' x '.join(map(str, res['input_shape'])),
        f'train_batch_size: {res["batch_size"]}',
        f'train_throughput: {tr["samples_per_s"]:.2f} samples/s '
        f'(median step {tr["median"] * 1e3:.2f} ms, min '
        f'{tr["min"] * 1e3:.2f}, max {tr["max"] * 1e3:.2f}; '
        f'{tr["iters"]} iters after {tr["warmup"]} warm-up)',
    ]
    for key, st in res['inference'].items():
        bs = key.split('_')[1]
        lines.append(
            f'infer_latency_bs{bs}: {st["latency_ms"]:.3f} ms (min '
            f'{st["min"] * 1e3:.3f}, max {st["max"] * 1e3:.3f}; '
            f'{st["samples_per_s"]:.1f} samples/s)')
    if 'train_peak_gpu_mem_mb' in res:
        lines.append(f'train_peak_gpu_mem: {res["train_peak_gpu_mem_mb"]:.1f} MiB '
                     '(torch.cuda.max_memory_allocated)')
        lines.append(f'infer_peak_gpu_mem: {res["infer_peak_gpu_mem_mb"]:.1f} MiB')
    lines.append(f'peak_host_rss: {res["peak_host_rss_mb"]:.1f} MiB '
                 '(getrusage ru_maxrss, whole process)')
    return '\n'.join(lines)
