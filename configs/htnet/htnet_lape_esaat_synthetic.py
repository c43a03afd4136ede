# Fast twin of htnet_lape_esaat_3db.py on the embedded synthetic dataset: the
# same one-command pipeline (per fold: a full LAPE-HTNet trained on the
# training subjects, the entropy-based greedy selection, then LAPE + agent
# attention with the selected attention sublayers removed) at toy scale:
#   python tools/train.py configs/htnet/htnet_lape_esaat_synthetic.py
# The demo HTNet has only 2 top-level blocks (the 3DB model has 10 and removes
# 6), so k=1 removes one of them; the selection model trains 15 epochs
# (the folds 60). drop_attention=[-1] only sizes a model built outside LOSO.
_base_ = ['./htnet_lape_synthetic.py']
model = dict(backbone=dict(
    attention=dict(_delete_=True, type='AgentAttention', agent_pool_size=1,
                   bias_type='official', dwc_kernel_size=3, fast_single_token=True),
    drop_attention=[-1]))
esaat_selection = dict(
    type='ESAATLayerSelection', mode='per_fold', k=1, candidates='top',
    selection_epochs=15)
loso = dict(fold_preparers=[esaat_selection])
