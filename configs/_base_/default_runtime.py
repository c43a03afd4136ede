# Runtime shared by every mmmer config.
default_scope = 'mmmer'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # One checkpoint per `interval` epochs, written atomically; only the
    # latest is kept (deleted only after the new one is in place) so an
    # interrupted fold resumes from it. Selection never looks at the test fold.
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=1,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_processor = dict(by_epoch=True, window_size=10)
log_level = 'INFO'
load_from = None
resume = False

# Deterministic by default: the same seed gives the same fold models, which
# is what makes an interrupted-and-resumed LOSO equal an uninterrupted one.
randomness = dict(seed=0, deterministic=False)

# LOSO protocol (mmmer.engine.loso): one fresh model per held-out subject.
loso = dict(
    # 'last': evaluate the model after the last epoch (honest, the default).
    selection='last',
    # Also compute the test-fold best-epoch "oracle" score some papers
    # report; printed only as a labelled optimistic extra. Off by default.
    oracle=False,
)
