# Plugin example: HTNet's synthetic LOSO recipe with the backbone swapped for
# TinyNet from projects/example_backbone/models (not part of the mmmer package).
# `custom_imports` imports the plugin module when the config is parsed, which
# registers TinyNet in mmmer's MODELS registry. Run from the folder that holds
# `projects/` (the tools put the working directory on the import path), or set
# PYTHONPATH for other entry points.
# `mmmer::` names a config shipped with the installed mmmer (the checkout's
# configs/ in an editable install), so this file works outside the checkout.
_base_ = ['mmmer::htnet/htnet_synthetic.py']

custom_imports = dict(imports=['projects.example_backbone.models'],
                      allow_failed_imports=False)

model = dict(
    # _delete_: TinyNet takes none of HTNet's backbone arguments.
    backbone=dict(_delete_=True, type='TinyNet', in_channels=3, widths=(16, 32)),
    neck=None,
    head=dict(in_channels=32))
