"""Per-epoch peak GPU memory, for sizing batches and spotting leaks."""
import torch
from mmengine.hooks import Hook

from mmmer.registry import HOOKS


def _model_device(runner) -> torch.device:
    model = runner.model
    model = getattr(model, 'module', model)
    for p in model.parameters():
        return p.device
    return torch.device('cpu')


@HOOKS.register_module()
class GPUMemoryHook(Hook):
    """Log the peak allocated / reserved CUDA memory of every train epoch.

    The peak counters are reset at the start of each epoch, so each number is
    that epoch's own high-water mark (MMEngine's LoggerHook shows a running
    per-iteration maximum instead). Values go to the log and, as scalars
    ``gpu_mem_peak_alloc_mib`` / ``gpu_mem_peak_reserved_mib`` at step =
    epoch, to the visualizer (``vis_data/scalars.json``). The test epoch is
    logged the same way. On a CPU model the hook logs one line saying so and
    otherwise does nothing.

    Config: ``custom_hooks = [dict(type='GPUMemoryHook')]`` or
    ``log_gpu_memory = True`` (see :func:`mmmer.engine.runtime.apply_runtime_options`).
    """

    priority = 'LOW'

    def __init__(self):
        self.device = None
        self.history = []  # (phase, epoch, alloc MiB, reserved MiB)

    def before_run(self, runner) -> None:
        dev = _model_device(runner)
        self.device = dev if dev.type == 'cuda' else None
        if self.device is None:
            runner.logger.info('GPUMemoryHook: model on cpu, no GPU memory to log.')

    def _reset(self):
        if self.device is not None:
            torch.cuda.reset_peak_memory_stats(self.device)

    def _log(self, runner, phase: str):
        if self.device is None:
            return
        alloc = torch.cuda.max_memory_allocated(self.device) / 1024 ** 2
        reserved = torch.cuda.max_memory_reserved(self.device) / 1024 ** 2
        epoch = runner.epoch
        self.history.append((phase, epoch, alloc, reserved))
        runner.logger.info(f'{phase} epoch {epoch}: peak GPU memory '
                           f'allocated {alloc:.1f} MiB, reserved {reserved:.1f} MiB '
                           f'({torch.cuda.get_device_name(self.device)})')
        runner.visualizer.add_scalars(
            {f'{phase}/gpu_mem_peak_alloc_mib': alloc,
             f'{phase}/gpu_mem_peak_reserved_mib': reserved}, step=epoch)

    def before_train_epoch(self, runner) -> None:
        self._reset()

    def after_train_epoch(self, runner) -> None:
        self._log(runner, 'train')

    def before_test_epoch(self, runner) -> None:
        self._reset()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._log(runner, 'test')
