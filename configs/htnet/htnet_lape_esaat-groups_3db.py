# ./htnet_lape_esaat_3db.py with the cheaper ESAAT selection: 5 selection
# models (full LAPE-HTNet, 200 epochs) on subject-disjoint groups stratified
# by dataset (the same groups as the diffusion generators of
# ./htnet_lape_esaat_ddpm_3db.py), each trained on every subject outside its
# group; the fold of subject S uses the model whose held-out group holds S.
# 5 selection trainings instead of 68 (+2% compute instead of +25%); each
# selection is made without ~20% of the subjects, not only without S.
#   python tools/train.py configs/htnet/htnet_lape_esaat-groups_3db.py
_base_ = ['./htnet_lape_esaat_3db.py']
esaat_selection = dict(_base_.esaat_selection, mode='subject_groups', num_groups=5,
                       group_seed=0)
loso = dict(fold_preparers=[esaat_selection])
