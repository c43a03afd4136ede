# HTNet + LAPE + ESAAT with diffusion-model data augmentation on the MEGC2019
# composite (3DB): "Leveraging vision transformers and entropy-based attention
# for accurate micro-expression recognition" (Zhang et al., Scientific Reports
# 2025), section "Diffusion model-based data augmentation", eqs. 8-10. The
# classifier, input and schedule are those of ./htnet_lape_esaat_3db.py,
# which is also the no-augmentation ablation. Its per-fold ESAAT layer
# selection (loso.fold_preparers) comes with it; the selection models train
# on real training samples only (no generated ones).
#
# The paper vs this config (the generator settings are our proposal because
# the paper gives no architecture, sizes or sample counts):
# - Paper: "a diffusion model with a U-Net", cosine noise schedule, MSE on the
#   noise (eq. 9), ancestral sampling (eq. 10, written without the
#   1/sqrt(1 - alpha_bar_t) factor; the correct DDPM step is used).
# - Here (../_base_/models/htnet_ddpm_generator.py): class-conditional
#   diffusers UNet2DModel on the 28x28x3 classifier input scaled
#   x/127.5 - 1, channels (64, 128, 128), 2 ResBlocks per level, attention
#   at 14 and 7, GroupNorm 32 (6,804,483 params); T = 1000 cosine
#   ('squaredcos_cap_v2'), epsilon prediction, AdamW 2e-4, batch 128, 20k
#   steps, EMA 0.999; 1000-step ancestral sampling, fixed_small variance, x0
#   clipped to [-1, 1]; samples stored as uint8 0..255 like the real maps.
# - How much: every class of a fold's training split is topped up to that
#   fold's majority class (about +140 positive, +165 surprise). Generated
#   samples are training-only (MEMetric drops them).
# - No leakage (not addressed by A): 5 generators on subject-disjoint groups
#   stratified by dataset; the fold of subject S uses the generator whose
#   held-out group contains S (checked against the generator's record).
#
# Train the generators first (5 groups, independent, resumable):
#   python tools/augment/train_ddpm.py configs/htnet/htnet_lape_esaat_ddpm_3db.py [--group g]
# optionally pre-sample every fold, then run the LOSO:
#   python tools/augment/sample_ddpm.py configs/htnet/htnet_lape_esaat_ddpm_3db.py --all-folds
#   python tools/train.py configs/htnet/htnet_lape_esaat_ddpm_3db.py
_base_ = ['./htnet_lape_esaat_3db.py', '../_base_/models/htnet_ddpm_generator.py']

# The LOSO loop writes each fold's exclude_subjects into the wrapped dataset.
# 20k steps per generator: train them with tools/augment/train_ddpm.py.
train_dataloader = dict(dataset=dict(
    _delete_=True, type='GeneratedAugmentDataset',
    dataset={{_base_.train_dataloader.dataset}}, diffusion=_base_.diffusion,
    generators_dir=_base_.diffusion.work_dir + '/generators', train_missing=False))
