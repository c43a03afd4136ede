# SAMM, 5 classes (anger, contempt, happiness, other, surprise): 136 samples
# (57 / 12 / 26 / 26 / 15; docs/datasets.md), the same set as the EDMDBN
# paper's Table 1. "Others" in some copies counts as "other".
_base_ = ['./samm.py']

train_dataloader = dict(dataset=dict(label_set='5class'))
test_dataloader = train_dataloader
expected_counts = dict(_delete_=True, total=136,
                       per_class=dict(anger=57, contempt=12, happiness=26, other=26, surprise=15))
