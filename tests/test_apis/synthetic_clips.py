"""Helpers: tiny synthetic datasets and the key-frame paths of their clips."""
import os.path as osp

from mmmer.datasets.synthetic import FRAMES_DIR, generate_synthetic_dataset

#: The tiny generator settings shared by the API tests (fast to render and preprocess).
TINY = dict(frame_size=160, clip_length_range=(8, 10))


def make_clips(root, num_subjects=2, clips_per_class=1, seed=1):
    """Generate a synthetic dataset; return its clip records with frame paths."""
    record = generate_synthetic_dataset(root, num_subjects=num_subjects,
                                        clips_per_class=clips_per_class, seed=seed, **TINY)
    clips = []
    for c in record['clips']:
        folder = osp.join(root, FRAMES_DIR, c['subject'], c['clip'])
        frame = lambda n, folder=folder: osp.join(folder, f'reg_img{n}.jpg')  # noqa: E731
        clips.append(dict(c, folder=folder, onset_path=frame(c['onset']),
                          apex_path=frame(c['apex']), offset_path=frame(c['offset'])))
    return clips


def generator_options(loader, data_root, num_subjects, clips_per_class, seed):
    """--cfg-options pointing a synthetic config's loader at a tiny dataset."""
    gen = dict(num_subjects=num_subjects, clips_per_class=clips_per_class, seed=seed,
               frame_size=TINY['frame_size'],
               clip_length_range='[{},{}]'.format(*TINY['clip_length_range']))
    return [f'{loader}.dataset.data_root={data_root}',
            *[f'{loader}.dataset.generator.{k}={v}' for k, v in gen.items()],
            f'{loader}.dataset.preprocess.cache_dir={data_root}/cache',
            f'{loader}.dataset.preprocess.workers=1']
