"""Class-conditional DDPM on the classifier input maps.

Implements the diffusion-model data augmentation of the LAPE/ESAAT paper
(Zhang et al., "Leveraging vision transformers and entropy-based attention for
accurate micro-expression recognition", Scientific Reports 2025, Sec.
"Diffusion model-based data augmentation", eqs. 8-10; "the paper" below). The
paper gives the equations but no network or training sizes; those below are
mmmer's choice (docs/methods/htnet_lape_esaat.md).

What is modelled: the 28x28x3 HTNet input itself (channels (u, v, strain),
values 0..255), scaled to ``x / 127.5 - 1``. No flips or rotations: they
would change the meaning of the flow components.

- Forward process (the paper's eq. 8, with the cumulative product written
  ``alpha_bar_t``): ``x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps``,
  cosine schedule (Nichol & Dhariwal, s = 0.008, beta clipped at 0.999;
  diffusers ``'squaredcos_cap_v2'``), T = 1000.
- Loss (eq. 9): ``|| eps - eps_theta(x_t, t, y) ||^2`` with t uniform in
  ``[0, T)`` (epsilon prediction).
- Ancestral sampling (eq. 10 corrected: the printed equation drops the
  ``1 / sqrt(1 - alpha_bar_t)`` factor of the predicted-noise term; this is
  the standard DDPM step):
  ``x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta) / sqrt(1 - beta_t)
  + sigma_t z`` with ``sigma_t^2 = beta~_t`` ("fixed_small") and z = 0 at the
  last step; diffusers computes the same mean through the clipped x0
  estimate, which keeps samples in [-1, 1]. With fewer inference steps than
  T the scheduler strides the chain and uses the strided betas.
- Network: diffusers ``UNet2DModel`` 28 -> 14 -> 7, channels (64, 128, 128),
  2 ResBlocks per level, self-attention at 14 and 7, GroupNorm 32,
  sinusoidal time embedding and a learned class embedding (3 classes):
  **6,804,483** parameters (pinned in tests).
- Optimisation: AdamW lr 2e-4, batch 128, 20k steps, EMA 0.999 of the
  weights (the EMA weights generate).

diffusers is imported lazily so that ``import mmmer.datasets`` stays cheap.
"""
import copy
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger

from mmmer.registry import GENERATORS
from mmmer.utils.compat import import_diffusers

#: diffusers UNet2DModel settings chosen by mmmer (in/out channels and the
#: number of class embeddings are filled in from the data).
DEFAULT_UNET = dict(
    sample_size=28,
    block_out_channels=(64, 128, 128),
    layers_per_block=2,
    # Level 0 at 28x28 without attention; attention at 14x14 and 7x7.
    down_block_types=('DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D'),
    up_block_types=('AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'),
    norm_num_groups=32,
    attention_head_dim=8,
)

DEFAULT_SCHEDULER = dict(
    num_train_timesteps=1000,
    beta_schedule='squaredcos_cap_v2',
    prediction_type='epsilon',
    variance_type='fixed_small',
    clip_sample=True,
    clip_sample_range=1.0,
)

DEFAULT_TRAIN = dict(
    steps=20000,
    batch_size=128,
    lr=2e-4,
    # AdamW with PyTorch's default decoupled weight decay, 0.01.
    weight_decay=0.01,
    ema=0.999,
    seed=0,
    log_interval=100,
    # Resumable training: a checkpoint every this many steps (0: never).
    checkpoint_interval=1000,
)

DEFAULT_SAMPLE = dict(num_inference_steps=1000, batch_size=256, seed=0)

DEFAULT_DIFFUSION = dict(
    num_groups=5,
    group_seed=0,
    unet=DEFAULT_UNET,
    scheduler=DEFAULT_SCHEDULER,
    train=DEFAULT_TRAIN,
    sample=DEFAULT_SAMPLE,
    topup='majority',
    device='auto',
    work_dir='work_dirs/generators',
)


def resolve_diffusion_cfg(diffusion: Optional[dict] = None) -> dict:
    """``DEFAULT_DIFFUSION`` updated by ``diffusion`` (one level deep for the
    ``unet`` / ``scheduler`` / ``train`` / ``sample`` sub-dicts)."""
    out = copy.deepcopy(DEFAULT_DIFFUSION)
    for key, value in dict(diffusion or {}).items():
        if key in ('unet', 'scheduler', 'train', 'sample') and value is not None:
            unknown = set(value) - set(out[key]) - {'type'}
            if key in ('train', 'sample') and unknown:
                raise KeyError(f'diffusion.{key}: unknown keys {sorted(unknown)}; '
                               f'known: {sorted(out[key])}')
            out[key] = {**out[key], **dict(value)}
        else:
            out[key] = copy.deepcopy(value)
    # Tuples and lists must hash alike (configs turn tuples into lists).
    for key in ('unet', 'scheduler'):
        out[key] = {k: list(v) if isinstance(v, tuple) else v for k, v in out[key].items()}
    return out


def select_device(device: str = 'auto') -> torch.device:
    if device in (None, 'auto'):
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    return torch.device(device)


def build_unet(unet_cfg: dict, num_classes: int, in_channels: int = 3):
    """A class-conditional diffusers ``UNet2DModel`` (learned class embedding
    added to the time embedding: ``class_embed_type=None`` +
    ``num_class_embeds``)."""
    UNet2DModel = import_diffusers().UNet2DModel
    cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in unet_cfg.items()}
    cfg.pop('type', None)
    return UNet2DModel(in_channels=in_channels, out_channels=in_channels,
                       class_embed_type=None, num_class_embeds=int(num_classes), **cfg)


def build_scheduler(scheduler_cfg: dict):
    DDPMScheduler = import_diffusers().DDPMScheduler
    cfg = dict(scheduler_cfg)
    cfg.pop('type', None)
    return DDPMScheduler(**cfg)


def images_to_model_space(images: np.ndarray, names: Optional[Sequence[str]] = None
                          ) -> torch.Tensor:
    """(N, H, W, C) values in [0, 255] -> (N, C, H, W) float32 in [-1, 1]."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f'DDPM: expected images of shape (N, H, W, C), got {images.shape}')
    lo, hi = float(images.min()), float(images.max())
    if lo < -1e-3 or hi > 255 + 1e-3:
        bad = int(np.argmax((images < -1e-3).any(axis=(1, 2, 3)) |
                            (images > 255 + 1e-3).any(axis=(1, 2, 3))))
        who = names[bad] if names is not None else f'index {bad}'
        raise ValueError(
            f'DDPM: classifier inputs must lie in [0, 255] (like the cached HTNet '
            f'maps); found values in [{lo:.3f}, {hi:.3f}], e.g. sample {who}. Check the '
            'dataset preprocessing (the DDPM models the cached `img` before any '
            'online normalisation).')
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    return x / 127.5 - 1.0


def model_space_to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8, rounded like the real maps."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1.0) * 127.5).round()
    return x.permute(0, 2, 3, 1).numpy().astype(np.uint8)


@GENERATORS.register_module()
class ClassConditionalDDPM:
    """A class-conditional DDPM: U-Net + scheduler + EMA copy.

    Args:
        num_classes (int): number of class embeddings.
        unet (dict): ``UNet2DModel`` kwargs (see ``DEFAULT_UNET``).
        scheduler (dict): ``DDPMScheduler`` kwargs (see ``DEFAULT_SCHEDULER``).
        in_channels (int): 3 for (u, v, strain).
        device (str): ``'auto'`` (CUDA when available), ``'cpu'``, ``'cuda'``.
    """

    def __init__(self, num_classes: int, unet: Optional[dict] = None,
                 scheduler: Optional[dict] = None, in_channels: int = 3,
                 device: str = 'auto'):
        self.num_classes = int(num_classes)
        self.unet_cfg = {**DEFAULT_UNET, **dict(unet or {})}
        self.scheduler_cfg = {**DEFAULT_SCHEDULER, **dict(scheduler or {})}
        if self.scheduler_cfg.get('prediction_type', 'epsilon') != 'epsilon':
            raise ValueError('ClassConditionalDDPM: only epsilon prediction is '
                             'implemented (the paper\'s eq. 9).')
        self.device = select_device(device)
        self.unet = build_unet(self.unet_cfg, self.num_classes, in_channels).to(self.device)
        self.ema_unet = copy.deepcopy(self.unet).requires_grad_(False).eval()
        self.scheduler = build_scheduler(self.scheduler_cfg)
        self.num_train_timesteps = int(self.scheduler.config.num_train_timesteps)
        self.sample_size = int(self.unet.config.sample_size)
        self.in_channels = in_channels

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())

    # ------------------------------------------------------------ training
    def loss(self, x0: torch.Tensor, labels: torch.Tensor,
             generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """The paper's eq. 9: MSE of true vs predicted noise, t ~ U{0..T-1}."""
        n = x0.shape[0]
        t = torch.randint(0, self.num_train_timesteps, (n, ), generator=generator)
        noise = torch.randn(x0.shape, generator=generator)
        t, noise = t.to(self.device), noise.to(self.device)
        x_t = self.scheduler.add_noise(x0, noise, t)  # eq. 8 (alpha_bar_t)
        pred = self.unet(x_t, t, class_labels=labels).sample
        return F.mse_loss(pred, noise)

    @torch.no_grad()
    def update_ema(self, decay: float, num_updates: int):
        """EMA of the weights. The effective decay ramps up as
        ``min(decay, (1 + n) / (10 + n))`` so short runs are not dominated by
        the random initialisation."""
        d = min(decay, (1.0 + num_updates) / (10.0 + num_updates))
        for ema_p, p in zip(self.ema_unet.parameters(), self.unet.parameters()):
            ema_p.lerp_(p.detach(), 1.0 - d)
        for ema_b, b in zip(self.ema_unet.buffers(), self.unet.buffers()):
            ema_b.copy_(b)

    def fit(self, images: np.ndarray, labels: Sequence[int], steps: int,
            batch_size: int = 128, lr: float = 2e-4, weight_decay: float = 0.01,
            ema: float = 0.999, seed: int = 0, log_interval: int = 100,
            checkpoint_interval: int = 0, checkpoint_path: Optional[str] = None,
            checkpoint_tag: str = '', progress: bool = True,
            logger: Optional[MMLogger] = None, names: Optional[Sequence[str]] = None
            ) -> List[float]:
        """Train on ``images`` (N, 28, 28, 3) in [0, 255] with class ``labels``.

        Batches are drawn uniformly with replacement, t uniformly (eq. 9).
        With ``checkpoint_path`` the model, EMA, optimiser and RNG states are
        saved atomically every ``checkpoint_interval`` steps and a rerun with the
        same ``checkpoint_tag`` continues from there (same result as an
        uninterrupted run). Returns the loss of every step.
        """
        from tqdm import tqdm
        logger = logger or MMLogger.get_current_instance()
        x_all = images_to_model_space(images, names).to(self.device)
        y_all = torch.as_tensor(np.asarray(labels), dtype=torch.long).to(self.device)
        if len(y_all) != len(x_all) or len(x_all) == 0:
            raise ValueError(f'DDPM.fit: {len(x_all)} images but {len(y_all)} labels.')
        if int(y_all.min()) < 0 or int(y_all.max()) >= self.num_classes:
            raise ValueError(f'DDPM.fit: labels must lie in [0, {self.num_classes}), '
                             f'got [{int(y_all.min())}, {int(y_all.max())}].')
        expected = (self.in_channels, self.sample_size, self.sample_size)
        if tuple(x_all.shape[1:]) != expected:
            raise ValueError(f'DDPM.fit: images are {tuple(images.shape[1:])} (HWC) but '
                             f'the U-Net expects {expected} (CHW); set '
                             'diffusion.unet.sample_size to the input size.')
        optimizer = torch.optim.AdamW(self.unet.parameters(), lr=lr,
                                      weight_decay=weight_decay)
        gen = torch.Generator().manual_seed(int(seed))
        losses: List[float] = []
        start = 0
        if checkpoint_path and osp.exists(checkpoint_path):
            ckpt = torch.load(checkpoint_path, map_location=self.device, weights_only=True)
            if ckpt.get('tag') == checkpoint_tag:
                self.unet.load_state_dict(ckpt['unet'])
                self.ema_unet.load_state_dict(ckpt['ema_unet'])
                optimizer.load_state_dict(ckpt['optimizer'])
                gen.set_state(ckpt['rng'])
                losses = [float(v) for v in ckpt['losses'].tolist()]
                start = int(ckpt['step'])
                logger.info(f'DDPM: resumed from {checkpoint_path} at step {start}')
            else:
                logger.warning(f'DDPM: ignoring {checkpoint_path} (another run).')
        self.unet.train()
        bar = tqdm(total=steps, initial=start, disable=not progress, desc='DDPM',
                   dynamic_ncols=True)
        for step in range(start, steps):
            idx = torch.randint(0, len(x_all), (batch_size, ), generator=gen).to(self.device)
            loss = self.loss(x_all[idx], y_all[idx], generator=gen)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            self.update_ema(ema, step)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f'DDPM: loss is {value} at step {step}; '
                                         'lower diffusion.train.lr.')
            losses.append(value)
            bar.update(1)
            if (step + 1) % max(1, log_interval) == 0 or step + 1 == steps:
                recent = float(np.mean(losses[-max(1, log_interval):]))
                bar.set_postfix(loss=f'{recent:.4f}')
                logger.info(f'DDPM step {step + 1}/{steps} loss {recent:.5f}')
            if (checkpoint_path and checkpoint_interval
                    and (step + 1) % checkpoint_interval == 0 and step + 1 < steps):
                self._save_checkpoint(checkpoint_path, checkpoint_tag, step + 1,
                                      optimizer, gen, losses)
        bar.close()
        self.unet.eval()
        return losses

    def _save_checkpoint(self, path, tag, step, optimizer, gen, losses):
        from mmmer.utils.io import _atomic_write
        state = dict(tag=tag, step=step, unet=self.unet.state_dict(),
                     ema_unet=self.ema_unet.state_dict(),
                     optimizer=optimizer.state_dict(), rng=gen.get_state(),
                     losses=torch.tensor(losses, dtype=torch.float64))
        _atomic_write(path, lambda f: torch.save(state, f), mode='wb')

    # ------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, labels: Sequence[int], num_inference_steps: Optional[int] = None,
               seed: int = 0, batch_size: int = 256, use_ema: bool = True,
               progress: bool = False) -> np.ndarray:
        """Ancestral sampling (eq. 10, corrected) for the given class labels.

        Returns (N, H, W, C) uint8 maps in [0, 255], like the real inputs.
        Deterministic for a given ``seed`` and batch size.
        """
        from tqdm import tqdm
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        size, c = self.sample_size, self.in_channels
        if len(labels) == 0:
            return np.zeros((0, size, size, c), dtype=np.uint8)
        net = self.ema_unet if use_ema else self.unet
        net.eval()
        scheduler = build_scheduler(self.scheduler_cfg)
        scheduler.set_timesteps(num_inference_steps or self.num_train_timesteps)
        gen = torch.Generator().manual_seed(int(seed))
        out = []
        chunks = range(0, len(labels), batch_size)
        bar = tqdm(total=len(chunks) * len(scheduler.timesteps), disable=not progress,
                   desc='DDPM sampling', dynamic_ncols=True)
        for start in chunks:
            y = torch.from_numpy(labels[start:start + batch_size]).to(self.device)
            x = torch.randn((len(y), c, size, size), generator=gen).to(self.device)
            for t in scheduler.timesteps:
                eps = net(x, t.to(self.device), class_labels=y).sample
                # The step's noise z comes from the CPU generator: the same seed
                # gives the same samples on CPU and GPU up to float error.
                x = scheduler.step(eps, t, x, generator=gen).prev_sample
                bar.update(1)
            out.append(model_space_to_uint8(x))
        bar.close()
        return np.concatenate(out, axis=0)

    # ------------------------------------------------------------ weights
    def ema_state_arrays(self) -> Dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.ema_unet.state_dict().items()}

    def load_ema_arrays(self, arrays: Dict[str, np.ndarray]):
        state = {k: torch.from_numpy(np.asarray(v)) for k, v in arrays.items()}
        missing, unexpected = self.ema_unet.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise KeyError(f'DDPM weights do not match the configured U-Net: missing '
                           f'{missing[:5]}..., unexpected {unexpected[:5]}...; the '
                           'generator was trained with another diffusion.unet config.')
        self.unet.load_state_dict(self.ema_unet.state_dict())
