# Fast twin of ./htnet_lape_esaat_ddpm_3db.py on the embedded synthetic
# dataset: the same pipeline (subject-disjoint group generators, leakage
# check, top-up, generated samples in training only) at toy scale, so it runs
# on a CPU in minutes. Not a result of the paper: the DDPM is shrunk to
# channels (16, 32, 32), 1 ResBlock per level, GroupNorm 8, 50 training
# steps and 20 sampling steps; it produces rough maps, which is enough to
# exercise every code path.
# The synthetic set is class-balanced, so 'majority' would add nothing; a
# fixed 8 generated maps per class are added to every fold instead. With 8
# subjects the 5 groups hold 1-2 subjects each. Missing generators are
# trained on the fly (train_missing=True).
#   python tools/train.py configs/htnet/htnet_lape_esaat_ddpm_synthetic.py
_base_ = ['./htnet_synthetic.py', '../_base_/models/htnet_ddpm_generator.py']

# Merged here (not left to MMEngine) because the wrapped dataset below needs
# the full dict.
_ddpm = _base_.diffusion
diffusion = dict(
    _ddpm,
    unet=dict(_ddpm.unet, block_out_channels=(16, 32, 32), layers_per_block=1,
              norm_num_groups=8),
    train=dict(_ddpm.train, steps=50, batch_size=32, lr=1e-3, log_interval=10,
               checkpoint_interval=0),
    sample=dict(_ddpm.sample, num_inference_steps=20, batch_size=64),
    topup=[8, 8, 8],
    work_dir='work_dirs/generators/ddpm_synthetic')
del _ddpm

train_dataloader = dict(dataset=dict(
    _delete_=True, type='GeneratedAugmentDataset',
    dataset={{_base_.train_dataloader.dataset}}, diffusion=diffusion,
    generators_dir=diffusion['work_dir'] + '/generators', train_missing=True))
