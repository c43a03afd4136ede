# Fast twin of htnet_lape_esaat_3db.py on the synthetic dataset: LAPE + agent
# attention in the remaining attention sublayers + one top-level attention
# removed. The demo HTNet has only 2 top-level blocks (the 3DB model has 10 and
# removes 6, spec 2.2), so drop_attention=[-1] removes the last one. Select it
# per fold with tools/analysis/esaat_select.py instead of this fixed choice.
_base_ = ['./htnet_lape_synthetic.py']
model = dict(backbone=dict(
    attention=dict(_delete_=True, type='AgentAttention', agent_pool_size=1,
                   bias_type='official', dwc_kernel_size=3, fast_single_token=True),
    drop_attention=[-1]))
