# Settings of the hard synthetic preset under names of their own, so a
# method's hard twin can inherit both its easy synthetic twin and these
# (configs/_base_/datasets/synthetic_hard.py is the dataset base itself;
# what each option means is written there).
hard_data_root = 'data/synthetic_hard'
hard_generator = dict(
    num_subjects=16,
    class_totals=(54, 24, 18),
    seed=0,
    amplitude_range=(0.2, 1.0),
    clip_length_range=(8, 14),
    identity_variation=1.0,
    head_motion_px=1.5,
    head_rotation_deg=1.0,
    blink_prob=0.5,
    au_variation=0.5)
# Merged into a synthetic twin's train/test datasets.
hard_dataset = dict(
    data_root=hard_data_root,
    generator=hard_generator,
    preprocess=dict(cache_dir=hard_data_root + '/.mmmer_cache'))
hard_expected_counts = dict(
    total=96,
    per_class=dict(negative=54, positive=24, surprise=18),
    num_subjects=16)
