# Fast twin of ./htnet_lape_esaat_ddpm_3db.py on the embedded synthetic
# dataset: the same pipeline (subject-disjoint group generators, leakage
# check, top-up, generated samples in training only) at toy scale, so it runs
# on a CPU in minutes. Not a result of paper A: the DDPM is shrunk to
# channels (16, 32, 32), 1 ResBlock per level, GroupNorm 8, 50 training
# steps and 20 sampling steps; it produces rough maps, which is enough to
# exercise every code path.
# The synthetic set is class-balanced, so 'majority' would add nothing; a
# fixed 8 generated maps per class are added to every fold instead. With 8
# subjects the 5 groups hold 1-2 subjects each. Missing generators are
# trained on the fly (train_missing=True).
#   python tools/train.py configs/htnet/htnet_lape_esaat_ddpm_synthetic.py
_base_ = ['./htnet_synthetic.py']

diffusion = dict(
    num_groups=5,
    group_seed=0,
    unet=dict(
        sample_size=28,
        block_out_channels=(16, 32, 32),
        layers_per_block=1,
        down_block_types=('DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D'),
        up_block_types=('AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'),
        norm_num_groups=8,
        attention_head_dim=8),
    scheduler=dict(
        num_train_timesteps=1000,
        beta_schedule='squaredcos_cap_v2',
        prediction_type='epsilon',
        variance_type='fixed_small',
        clip_sample=True,
        clip_sample_range=1.0),
    train=dict(steps=50, batch_size=32, lr=1e-3, weight_decay=0.01, ema=0.999,
               seed=0, log_interval=10, checkpoint_interval=0),
    sample=dict(num_inference_steps=20, batch_size=64, seed=0),
    topup=[8, 8, 8],
    device='auto',
    work_dir='work_dirs/generators/ddpm_synthetic')

train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='GeneratedAugmentDataset',
    dataset={{_base_.train_dataloader.dataset}},
    generators_dir=diffusion['work_dir'] + '/generators',
    diffusion=diffusion,
    train_missing=True))
