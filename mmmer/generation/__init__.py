"""Diffusion-model augmentation (the LAPE/ESAAT paper, Zhang et al., 2025),
leakage-free per subject group."""
from .ddpm import (DEFAULT_DIFFUSION, ClassConditionalDDPM, build_scheduler,
                   build_unet, images_to_model_space, model_space_to_uint8,
                   resolve_diffusion_cfg)
from .generated_dataset import GeneratedAugmentDataset, topup_counts
from .group_generators import (GeneratorNotFoundError, GroupPlan, load_group_generator,
                               plan_from_dataset_cfg, train_group_generator)
from .groups import (FoldGroupError, GeneratorLeakageError, check_no_leakage,
                     generator_train_subjects, held_out_group, split_subject_groups)

__all__ = [
    'DEFAULT_DIFFUSION', 'ClassConditionalDDPM', 'build_scheduler', 'build_unet',
    'images_to_model_space', 'model_space_to_uint8', 'resolve_diffusion_cfg',
    'GeneratedAugmentDataset', 'topup_counts', 'GeneratorNotFoundError', 'GroupPlan',
    'load_group_generator', 'plan_from_dataset_cfg', 'train_group_generator',
    'FoldGroupError', 'GeneratorLeakageError', 'check_no_leakage',
    'generator_train_subjects', 'held_out_group', 'split_subject_groups'
]
