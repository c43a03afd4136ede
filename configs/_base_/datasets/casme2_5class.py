# CASME II, 5 classes (happiness, surprise, disgust, repression, others):
# 246 samples from 26 subjects with the 20140508 sheet (the literature cites
# 246 or 247; specs/datasets.md sections 1, 7, 11). The "/" apex row is kept
# with the midpoint apex here, as most 5-class loaders do.
_base_ = ['./casme2.py']

train_dataloader = dict(dataset=dict(label_set='5class', bad_apex='midpoint',
                                     exclude_clips=[]))
test_dataloader = dict(dataset=dict(label_set='5class', bad_apex='midpoint',
                                    exclude_clips=[]))
expected_counts = dict(
    _delete_=True,
    total=246,
    per_class=dict(disgust=63, happiness=32, others=99, repression=27, surprise=25),
    num_subjects=26)
