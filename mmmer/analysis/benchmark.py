"""Training throughput, inference latency and peak memory of a config's model.

Everything runs through the model's own MMEngine entry points, so the numbers
include what a real run pays: ``train_step`` (data_preprocessor -> forward ->
loss -> backward -> the config's optimizer step via its optim_wrapper) and
``test_step`` (data_preprocessor -> forward -> predictions). Inputs are random
tensors of the config's ``input_shape`` with random labels, so the data
pipeline is deliberately excluded. Inference runs as a user of the API runs
it: ``model.eval()`` under ``torch.no_grad()``.

With a reference network (:mod:`mmmer.analysis.reference_models`) the two
are timed side by side in the same process, call by call in turn, so that
both see the same machine load; the reported ratios are medians of the
per-pair ratios. The reference trains as its authors' script does:
cross-entropy and Adam, one ``forward -> backward -> step`` per batch.
Peak RSS is read before the reference is built, so it is mmmer's alone.
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


def time_interleaved(fns: Dict[str, Callable[[], object]], iters: int, warmup: int,
                     device: torch.device) -> Dict[str, dict]:
    """:func:`time_repeated` for several functions called in turn.

    Each round calls every function once; the timings of round ``k`` form a
    pair (or tuple), so :func:`paired_ratio` compares functions under the same
    momentary machine load. Returns per-name statistics with their raw
    ``times``.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    for _ in range(max(warmup, 0)):
        for fn in fns.values():
            fn()
    _sync(device)
    times = {name: [] for name in fns}
    for _ in range(iters):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: dict(median=statistics.median(t), min=min(t), max=max(t),
                       iters=iters, warmup=warmup, times=t)
            for name, t in times.items()}


def paired_ratio(num: dict, den: dict) -> float:
    """Median over rounds of ``num`` time / ``den`` time (interleaved stats)."""
    return statistics.median(a / b for a, b in zip(num['times'], den['times']))


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


def _reference_train_step(reference, inputs, labels, lr: float = 5e-5):
    """One ``forward -> cross-entropy -> backward -> Adam step`` closure."""
    optimizer = torch.optim.Adam(reference.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(reference(inputs), labels)
        loss.backward()
        optimizer.step()
    return step


def benchmark_model(model, optim_wrapper_cfg: dict, input_shape: Sequence[int],
                    batch_size: int = 256, infer_batch: int = 1,
                    iters: int = 20, warmup: int = 5,
                    device: str = 'cpu', seed: int = 0,
                    reference=None, reference_name: Optional[str] = None,
                    infer_iters: Optional[int] = None) -> dict:
    """Benchmark a built model; see the module docstring for what is timed.

    ``reference``: a plain ``forward(inputs) -> logits`` network timed side by
    side (same inputs, same batch sizes), or a function that builds it (then
    it is built after mmmer's peak RSS is read). ``infer_iters``: timed
    inference calls (default ``iters``); one clip costs far less than one
    training step, so latency can afford more repetitions.
    """
    from mmengine.optim import build_optim_wrapper
    dev = torch.device(device)
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda requested but CUDA is not available.')
    gen = torch.Generator().manual_seed(seed)
    model = model.to(dev)
    num_classes = num_classes_of(model)
    result = dict(device=str(dev), input_shape=list(input_shape),
                  params=sum(p.numel() for p in model.parameters()),
                  batch_size=batch_size, infer_batch=infer_batch,
                  torch_threads=torch.get_num_threads(),
                  torch_version=torch.__version__)
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(dev)
        result['gpu_name'] = torch.cuda.get_device_name(dev)
    with_ref = reference is not None
    if with_ref:
        # The peak RSS must be mmmer's alone: run mmmer's warm-up (at least
        # one step of each kind) before the reference exists.
        warmup = max(warmup, 1)

    optim_wrapper = build_optim_wrapper(model, optim_wrapper_cfg)
    train_batch = random_batch(batch_size, input_shape, num_classes, dev,
                               generator=gen)
    infer_batches = {bs: random_batch(bs, input_shape, num_classes, dev, False, gen)
                     for bs in dict.fromkeys([1, infer_batch])}

    def train_step():
        if not model.training:
            model.train()
        model.train_step(train_batch, optim_wrapper)

    def test_step(bs):
        def run():
            # What a user of the API runs: eval mode (set once, as a user
            # does; every eval()/train() call drops derived-weight caches),
            # no grad.
            if model.training:
                model.eval()
            with torch.no_grad():
                model.test_step(infer_batches[bs])
        return run

    train_fns = {'model': train_step}
    infer_fns = {bs: {'model': test_step(bs)} for bs in infer_batches}
    if with_ref:
        for _ in range(warmup):
            train_step()
        for fns in infer_fns.values():
            for _ in range(warmup):
                fns['model']()
        if dev.type == 'cuda':
            result['train_peak_gpu_mem_mb'] = \
                torch.cuda.max_memory_allocated(dev) / 1024 ** 2
        result['peak_host_rss_mb'] = peak_host_rss_mb()
        if not isinstance(reference, torch.nn.Module):
            reference = reference()
        reference = reference.to(dev)
        labels = torch.tensor([s.gt_label.item() for s in train_batch['data_samples']],
                              device=dev)
        ref_train = _reference_train_step(reference, train_batch['inputs'], labels)

        def ref_train_step():
            if not reference.training:
                reference.train()
            ref_train()
        train_fns['reference'] = ref_train_step
        for bs, fns in infer_fns.items():
            def ref_infer(x=infer_batches[bs]['inputs']):
                if reference.training:
                    reference.eval()
                with torch.no_grad():
                    reference(x)
            fns['reference'] = ref_infer
        result['reference'] = dict(
            name=reference_name or type(reference).__name__,
            params=sum(p.numel() for p in reference.parameters()),
            inference={})

    # Training: one train_step = forward + backward + optimizer step.
    train = time_interleaved(train_fns, iters, warmup, dev)
    result['train'] = dict(train['model'], samples_per_s=batch_size / train['model']['median'])
    if with_ref:
        ref = train['reference']
        result['reference']['train'] = dict(ref, samples_per_s=batch_size / ref['median'])
        result['reference']['train_speedup'] = paired_ratio(ref, train['model'])
    if dev.type == 'cuda' and not with_ref:
        result['train_peak_gpu_mem_mb'] = \
            torch.cuda.max_memory_allocated(dev) / 1024 ** 2
        torch.cuda.reset_peak_memory_stats(dev)

    # Inference latency at batch 1 and at the chosen batch.
    result['inference'] = {}
    for bs, fns in infer_fns.items():
        timed = time_interleaved(fns, infer_iters or iters, warmup, dev)
        stats = timed['model']
        stats['latency_ms'] = stats['median'] * 1e3
        stats['samples_per_s'] = bs / stats['median']
        result['inference'][f'batch_{bs}'] = stats
        if with_ref:
            ref = timed['reference']
            ref['latency_ms'] = ref['median'] * 1e3
            ref['latency_ratio'] = paired_ratio(stats, ref)
            result['reference']['inference'][f'batch_{bs}'] = ref
    if dev.type == 'cuda' and not with_ref:
        result['infer_peak_gpu_mem_mb'] = \
            torch.cuda.max_memory_allocated(dev) / 1024 ** 2
    if with_ref:
        result['peak_host_rss_mb_with_reference'] = peak_host_rss_mb()
    else:
        result['peak_host_rss_mb'] = peak_host_rss_mb()
    rss = current_host_rss_mb()
    if rss is not None:
        result['host_rss_mb'] = rss
    return result


def benchmark_config(cfg, batch_size=256, infer_batch=1, iters=20, warmup=5,
                     threads: Optional[int] = 2, device='cpu',
                     shape: Optional[Sequence[int]] = None,
                     reference: Optional[str] = None,
                     infer_iters: Optional[int] = None) -> dict:
    """Build ``cfg.model`` and ``cfg.optim_wrapper`` and benchmark them;
    ``reference`` names a :data:`~mmmer.analysis.reference_models.REFERENCE_MODELS`
    network to time side by side."""
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    if 'optim_wrapper' not in cfg:
        raise KeyError(f'{getattr(cfg, "filename", "config")} has no '
                       '`optim_wrapper`; compose a schedule base.')
    ref_model = None
    if reference:
        from .reference_models import build_reference
        with torch.device('meta'):  # check the name and geometry before any work
            build_reference(reference, cfg)

        def ref_model():
            torch.manual_seed(1)
            return build_reference(reference, cfg)
    model = build_model_from_cfg(cfg)
    res = benchmark_model(model, cfg.optim_wrapper, input_shape_of(cfg, shape),
                          batch_size=batch_size, infer_batch=infer_batch,
                          iters=iters, warmup=warmup, device=device,
                          reference=ref_model, reference_name=reference,
                          infer_iters=infer_iters)
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
    if 'infer_peak_gpu_mem_mb' in res:
        lines.append(f'infer_peak_gpu_mem: {res["infer_peak_gpu_mem_mb"]:.1f} MiB')
    lines.append(f'peak_host_rss: {res["peak_host_rss_mb"]:.1f} MiB '
                 '(getrusage ru_maxrss, whole process'
                 + (', before the reference was built)' if 'reference' in res else ')'))
    ref = res.get('reference')
    if ref:
        rt = ref['train']
        lines += [
            f'reference: {ref["name"]} ({ref["params"]:,} parameters), timed in turn '
            'with the model',
            f'reference_train_throughput: {rt["samples_per_s"]:.2f} samples/s '
            f'(median step {rt["median"] * 1e3:.2f} ms)',
            f'train_speedup_vs_reference: {ref["train_speedup"]:.2f}x '
            '(median of paired step-time ratios)',
        ]
        for key, st in ref['inference'].items():
            bs = key.split('_')[1]
            lines.append(f'reference_infer_latency_bs{bs}: {st["latency_ms"]:.3f} ms '
                         f'(min {st["min"] * 1e3:.3f})')
            lines.append(f'latency_ratio_vs_reference_bs{bs}: {st["latency_ratio"]:.3f} '
                         '(model / reference, median of paired ratios)')
    if res.get('config') and 'batch_1' in res['inference']:
        lines.append('table_row: ' + speed_table_row(res))
    return '\n'.join(lines)


def speed_table_row(res: dict, config: Optional[str] = None) -> str:
    """One row of the speed table in docs/benchmarks.md (``config`` defaults
    to the result's config path from ``configs/`` on)."""
    if config is None:
        config = str(res.get('config'))
        if 'configs/' in config:
            config = config[config.rindex('configs/') + len('configs/'):]
    bs1 = res['inference']['batch_1']
    row = (f'| `{config}` | {res["params"]:,} | '
           f'{"x".join(map(str, res["input_shape"]))} | '
           f'{res["train"]["samples_per_s"]:.2f} ({res["batch_size"]}) | '
           f'{bs1["latency_ms"]:.1f} ms | {res["peak_host_rss_mb"] / 1024:.2f} GiB |')
    ref = res.get('reference')
    if ref:
        rbs1 = ref['inference']['batch_1']
        row += (f' {ref["name"]}: {ref["train"]["samples_per_s"]:.2f} samples/s, '
                f'{rbs1["latency_ms"]:.1f} ms; train {ref["train_speedup"]:.2f}x, '
                f'latency {rbs1["latency_ratio"]:.2f}x |')
    else:
        row += ' |'
    return row
