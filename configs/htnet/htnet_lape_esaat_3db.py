# HTNet + LAPE + ESAAT (seed paper A), the "full" proposed model without
# diffusion augmentation: 6 of the 10 top-level attention sublayers removed
# (FFN kept) and the remaining 8 attentions replaced by Agent Attention with
# official-style agent biases: 114,563,958 parameters (-17.93%, A's ~18%).
# - Agent attention on HTNet's one-token windows (spec 2.3): n_agents = 1,
#   both softmaxes equal 1 and the layer is W_o(V + DWC(V)) + b_o exactly.
# - drop_attention uses HTNet's global block index (level 0 first): 4..13 are
#   the top level. Which 6 to drop is chosen per fold by
#   tools/analysis/esaat_select.py (entropy/greedy, training subjects only),
#   which writes a per-fold config over this one. The default below, the
#   last six top-level sublayers (keep 4-7), is a data-free placeholder so
#   the config builds the right-sized model; it is not a selection result.
#   Written with negative indices (= 8..13 for blocks (2, 2, 10)) so a
#   shrunk twin with >= 6 top-level blocks keeps "drop the last six".
# Adam 5e-5, batch 256, 800 epochs as HTNet/A.
_base_ = ['./htnet_lape_3db.py']
model = dict(backbone=dict(
    attention=dict(_delete_=True, type='AgentAttention', agent_pool_size=1,
                   bias_type='official', dwc_kernel_size=3, fast_single_token=True),
    drop_attention=[-6, -5, -4, -3, -2, -1]))
