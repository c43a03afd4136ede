"""ClassConditionalDDPM: architecture size, schedule, sampler, training."""
import math

import numpy as np
import pytest
import torch

from mmmer.generation.ddpm import (DEFAULT_SCHEDULER, DEFAULT_UNET, ClassConditionalDDPM,
                                   build_scheduler, build_unet, images_to_model_space,
                                   model_space_to_uint8)

from .toy_flow_maps import class_pattern

TINY_UNET = dict(block_out_channels=(8, 16, 16), layers_per_block=1, norm_num_groups=4)


def test_default_unet_parameter_count():
    """mmmer's default: (64, 128, 128), 2 ResBlocks/level, attention at 14
    and 7, GroupNorm 32, 3 class embeddings -> 6,804,483 parameters (as
    diffusers' UNet2DModel counts them)."""
    torch.manual_seed(0)
    unet = build_unet(DEFAULT_UNET, num_classes=3)
    assert sum(p.numel() for p in unet.parameters()) == 6_804_483
    # Resolutions 28 -> 14 -> 7; attention only on the 14 and 7 levels.
    has_attn = [getattr(b, 'attentions', None) is not None for b in unet.down_blocks]
    assert has_attn == [False, True, True]
    assert unet.class_embedding.num_embeddings == 3
    x = torch.zeros(2, 3, 28, 28)
    out = unet(x, torch.tensor([0, 999]), class_labels=torch.tensor([0, 2])).sample
    assert out.shape == x.shape


def test_cosine_schedule_matches_nichol_dhariwal():
    """alpha_bar(t) = cos^2(((t/T) + s) / (1 + s) * pi/2), s = 0.008,
    beta_t = min(1 - alpha_bar(t+1)/alpha_bar(t), 0.999)."""
    sched = build_scheduler(DEFAULT_SCHEDULER)
    T, s = 1000, 0.008

    def f(t):
        return math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    ref = np.array([min(1 - f(t + 1) / f(t), 0.999) for t in range(T)])
    np.testing.assert_allclose(sched.betas.double().numpy(), ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(sched.alphas_cumprod.double().numpy(),
                               np.cumprod(1 - ref), rtol=1e-4)


@pytest.mark.parametrize('t', [999, 500, 1])
def test_ancestral_step_is_corrected_eq10(t):
    """Standard DDPM step: x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(1 - beta_t)
    + sigma_t z, sigma_t^2 = (1 - abar_{t-1}) / (1 - abar_t) beta_t (fixed_small).
    Without x0 clipping the scheduler must give exactly this."""
    sched = build_scheduler({**DEFAULT_SCHEDULER, 'clip_sample': False})
    sched.set_timesteps(1000)
    g = torch.Generator().manual_seed(1)
    x_t, eps = torch.randn(2, 3, 4, 4, generator=g), torch.randn(2, 3, 4, 4, generator=g)
    out = sched.step(eps, t, x_t, generator=torch.Generator().manual_seed(7)).prev_sample
    z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(7))
    a = sched.alphas_cumprod.double()
    beta = 1 - a[t] / a[t - 1]
    var = (1 - a[t - 1]) / (1 - a[t]) * beta
    ref = (x_t.double() - beta / (1 - a[t]).sqrt() * eps.double()) / (1 - beta).sqrt() \
        + var.sqrt() * z.double()
    torch.testing.assert_close(out.double(), ref, rtol=1e-4, atol=1e-4)


def test_scaling_round_trip_and_range_check():
    imgs = np.stack([class_pattern(c) for c in range(3)])
    x = images_to_model_space(imgs)
    assert x.shape == (3, 3, 28, 28) and x.min() >= -1 and x.max() <= 1
    np.testing.assert_array_equal(model_space_to_uint8(x), np.round(imgs).astype(np.uint8))
    bad = imgs.copy()
    bad[1, 0, 0, 2] = 300.0
    with pytest.raises(ValueError, match=r'sample s1'):
        images_to_model_space(bad, names=['s0', 's1', 's2'])


def test_training_lowers_the_loss_and_sampling_gives_uint8_maps():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 2] * 8)
    imgs = np.stack([class_pattern(int(c), rng) for c in labels])
    model = ClassConditionalDDPM(3, unet=TINY_UNET, device='cpu')
    losses = model.fit(imgs, labels, steps=36, batch_size=8, lr=2e-3, ema=0.999,
                       log_interval=12, progress=False)
    assert len(losses) == 36
    first, last = np.mean(losses[:8]), np.mean(losses[-8:])
    assert last < 0.7 * first, (first, last)
    out = model.sample([0, 2, 1], num_inference_steps=10, seed=3)
    assert out.shape == (3, 28, 28, 3) and out.dtype == np.uint8
    # Deterministic per seed, different across seeds.
    np.testing.assert_array_equal(out, model.sample([0, 2, 1], 10, seed=3))
    assert not np.array_equal(out, model.sample([0, 2, 1], 10, seed=4))


def test_checkpoint_resume_equals_uninterrupted(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 2, 0])
    imgs = np.stack([class_pattern(int(c), rng) for c in labels])
    kw = dict(steps=4, batch_size=4, lr=1e-3, progress=False, seed=5)
    torch.manual_seed(0)
    a = ClassConditionalDDPM(3, unet=TINY_UNET, device='cpu')
    ref = a.fit(imgs, labels, **kw)
    ckpt = str(tmp_path / 'ckpt.pth')
    torch.manual_seed(0)
    b = ClassConditionalDDPM(3, unet=TINY_UNET, device='cpu')
    b.fit(imgs, labels, **{**kw, 'steps': 2}, checkpoint_path=ckpt,
          checkpoint_interval=1, checkpoint_tag='x')  # "interrupted" after step 2
    torch.manual_seed(1)  # a fresh process: different init, restored from ckpt
    c = ClassConditionalDDPM(3, unet=TINY_UNET, device='cpu')
    resumed = c.fit(imgs, labels, **kw, checkpoint_path=ckpt, checkpoint_interval=1,
                    checkpoint_tag='x')
    np.testing.assert_allclose(resumed, ref, rtol=1e-5)
    for p, q in zip(a.ema_unet.parameters(), c.ema_unet.parameters()):
        torch.testing.assert_close(p, q)


def test_fit_rejects_bad_labels():
    model = ClassConditionalDDPM(3, unet=TINY_UNET, device='cpu')
    imgs = np.stack([class_pattern(0)] * 2)
    with pytest.raises(ValueError, match='labels must lie'):
        model.fit(imgs, [0, 3], steps=1, progress=False)
