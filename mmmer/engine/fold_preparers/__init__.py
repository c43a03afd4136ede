"""Fold preparers: per-fold config changes computed before a LOSO fold trains.

A fold preparer is any object registered in ``mmmer.registry.FOLD_PREPARERS``
with a method ``prepare(loop, subject, train_subjects, fold_cfg) -> fold_cfg``.
``loso.fold_preparers = [dict(type='Name', ...)]`` lists them; the LOSO loop
(:class:`mmmer.engine.LOSOLoop`) calls them in order, on every rank, before
the Runner of each fold that is not finished yet. A preparer may only use the
fold's training subjects (``train_subjects``), never the held-out
``subject``'s data. Modules defining preparers live in this package so the
registry finds them lazily.
"""

from .esaat_selection import ESAATLayerSelection

__all__ = ['ESAATLayerSelection']
