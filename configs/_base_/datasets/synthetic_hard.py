# The hard synthetic preset: the embedded synthetic dataset with what makes
# real micro-expression recognition hard, so methods rank instead of all
# reaching UF1 1.0 on the easy default (configs/_base_/datasets/synthetic.py).
#
# - motion amplitude 0.2-1.0 px at the apex (easy set: 0.6-2.0 px);
# - 16 subjects whose identities differ: a smooth non-rigid face warp of up
#   to 4 px, wider pose, skin tone and a directional illumination gradient;
# - distractors: head translation up to 1.5 px and an in-plane rotation /
#   nod of up to 1 degree, blinks in half of the clips (eyelids 0.8-2 px),
#   besides the small landmark twitches of the easy set;
# - classes that share action units: in half of the clips one AU group of
#   the class is dropped, and independently in half a weaker (0.3-0.7x) AU
#   group of another class is added;
# - class imbalance in the proportions of the MEGC2019 composite
#   (negative 250 / positive 109 / surprise 83): 54 / 24 / 18 clips dealt
#   over the subjects, so a subject may miss a class.
# The values live in ./synthetic_hard_settings.py; the generator options are
# documented in mmmer/datasets/synthetic/writer.py (generate_synthetic_dataset)
# and mmmer/datasets/synthetic/variation.py. Each method's *_synthetic-hard.py
# twin inherits its easy twin plus those settings (same network and budget,
# only the data differ); the numbers are in the method folders' README.md and
# metafile.yml.
_base_ = ['./synthetic.py', './synthetic_hard_settings.py']

data_root = _base_.hard_data_root
synthetic_generator = _base_.hard_generator
train_dataloader = dict(dataset=_base_.hard_dataset)
test_dataloader = dict(dataset=_base_.hard_dataset)
expected_counts = _base_.hard_expected_counts
