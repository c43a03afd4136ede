# Class-conditional DDPM that generates HTNet inputs (28x28x3 flow/strain
# region tiles) for the diffusion-model data augmentation of the LAPE/ESAAT
# paper (Zhang et al., 2025, eqs. 8-10), read by
# tools/augment/{train,sample}_ddpm.py and GeneratedAugmentDataset.
# The sizes are mmmer's choice (the paper gives none; a small U-Net that fits
# 28x28 inputs; docs/methods/htnet_lape_esaat.md):
# diffusers UNet2DModel on the input scaled x/127.5 - 1, channels
# (64, 128, 128), 2 ResBlocks per level, attention at 14 and 7, GroupNorm 32
# (6,804,483 params); T = 1000 cosine ('squaredcos_cap_v2'), epsilon
# prediction, AdamW 2e-4, batch 128, 20k steps, EMA 0.999; 1000-step ancestral
# sampling, fixed_small variance, x0 clipped to [-1, 1]. 5 generators on
# subject-disjoint groups; each class of a fold's training split is topped up
# to that fold's majority class.
diffusion = dict(
    num_groups=5,
    group_seed=0,
    unet=dict(
        sample_size=28,
        block_out_channels=(64, 128, 128),
        layers_per_block=2,
        down_block_types=('DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D'),
        up_block_types=('AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'),
        norm_num_groups=32,
        attention_head_dim=8),
    scheduler=dict(
        num_train_timesteps=1000,
        beta_schedule='squaredcos_cap_v2',
        prediction_type='epsilon',
        variance_type='fixed_small',
        clip_sample=True,
        clip_sample_range=1.0),
    train=dict(steps=20000, batch_size=128, lr=2e-4, weight_decay=0.01, ema=0.999,
               seed=0, log_interval=100, checkpoint_interval=1000),
    sample=dict(num_inference_steps=1000, batch_size=256, seed=0),
    topup='majority',
    device='auto',
    # Shared by every classifier config that uses these generators.
    work_dir='work_dirs/generators/ddpm_3db')
