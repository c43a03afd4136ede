# Plugin example: HTNet's synthetic LOSO recipe with the backbone swapped for
# TinyNet from projects/example_backbone/models (not part of the mmmer package).
# `custom_imports` imports the plugin module when the config is parsed, which
# registers TinyNet in mmmer's MODELS registry; run from the repository root
# (tools/*.py put it on sys.path) or with PYTHONPATH=. for other entry points.
_base_ = ['../../../configs/htnet/htnet_synthetic.py']

custom_imports = dict(imports=['projects.example_backbone.models'],
                      allow_failed_imports=False)

model = dict(
    # _delete_: TinyNet takes none of HTNet's backbone arguments.
    backbone=dict(_delete_=True, type='TinyNet', in_channels=3, widths=(16, 32)),
    neck=None,
    head=dict(in_channels=32))
