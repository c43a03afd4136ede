# Loaders shared by the bases of the FACS-coded sheet datasets (casme2.py,
# casme3.py, samm.py, mmew.py): the HTNet flow input of ./me_flow_htnet.py,
# the MEGC2019 3-class map (negative / positive / surprise; the other labels
# left out) and, for a row whose apex is missing or outside [onset, offset],
# the middle frame (bad_apex='midpoint'). A base inheriting this states its
# dataset_type, data_root, cache dir and the dataset's own paths and options;
# what it states there wins over these (casme2.py: bad_apex='drop').
_base_ = './me_flow_htnet.py'

train_dataloader = dict(dataset=dict(label_set='3class', bad_apex='midpoint'))
test_dataloader = train_dataloader
