# HTNet + LAPE + ESAAT, "Leveraging vision transformers and entropy-based
# attention for accurate micro-expression recognition" (Zhang et al.,
# Scientific Reports 2025), the proposed model without diffusion augmentation,
# in ONE command:
#   python tools/train.py configs/htnet/htnet_lape_esaat_3db.py
# Per LOSO fold, before the fold trains, the ESAATLayerSelection fold preparer
# (mmmer/engine/fold_preparers/esaat_selection.py) trains the full LAPE-HTNet
# (./htnet_lape_3db.py: standard attention, nothing removed) on the fold's
# TRAINING subjects for 200 epochs, pools its 1024-d features over those
# training samples and greedily picks the 6 of the 10 top-level attention
# sublayers whose bypass changes the feature entropy least (TE(S) =
# |H(F) - H_S(F)|, H = sum_c log std_c); the fold then trains this model with
# those 6 removed (FFN kept) and Agent Attention in the remaining 8 (with
# official-style agent biases): 114,563,958 parameters (-17.93%, the paper's
# ~18%). Outputs: work_dir/esaat_selection/fold_<S>/ (selection model,
# resumable, selection.json), fold_<S>/esaat_selection.json, and the table
# work_dir/esaat_selections.md. Reruns/--shard work as for any LOSO run.
#
# Why 'per_fold' (one selection model per fold, 68 extra trainings of 200
# epochs, +25% compute over the 68 x 800-epoch folds): the paper's ESAAT steps
# are part of building the model (train, measure TE between each attention
# layer and the output, remove the low-TE layers, train the pruned model); per
# fold this is that procedure on exactly the data the fold's model is trained
# on. The paper does not say on which data TE was measured; any data holding
# the test subject would leak it. The cheaper variant, 5 selection models on
# subject-disjoint groups (selection made without ~20% of the subjects), is
# ./htnet_lape_esaat-groups_3db.py; the former fixed, data-free choice (drop
# the last six) is the ablation ./htnet_lape_esaat-fixed_3db.py.
# - Agent attention on HTNet's one-token windows: n_agents = 1, both softmaxes
#   equal 1 and the layer is W_o(V + DWC(V)) + b_o exactly.
# - drop_attention uses HTNet's global block index (level 0 first): 4..13 are
#   the top level. The value below only sizes the model built outside LOSO
#   (get_flops, the parameter count); every fold's is set by its selection.
# - The selection's greedy path (not one-shot singleton ranking) and entropy
#   estimator follow NOSE (Lin et al., "MLP Can Be A Good Transformer
#   Learner", CVPR 2024); docs/methods/htnet_lape_esaat.md has every choice.
# Adam 5e-5, batch 256, 800 epochs as HTNet and the paper.
_base_ = ['./htnet_lape_3db.py']
model = dict(backbone=dict(
    attention=dict(_delete_=True, type='AgentAttention', agent_pool_size=1,
                   bias_type='official', dwc_kernel_size=3, fast_single_token=True),
    drop_attention=[-6, -5, -4, -3, -2, -1]))
esaat_selection = dict(
    type='ESAATLayerSelection', mode='per_fold', k=6, candidates='top',
    selection_epochs=200)
loso = dict(fold_preparers=[esaat_selection])
