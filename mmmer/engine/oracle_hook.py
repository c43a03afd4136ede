"""Test-fold epoch selection ("oracle"), computed only on explicit request.

Some published baselines (HTNet, EDMDBN) evaluate the test subject after
every epoch and keep the best epoch's predictions. That uses the test labels
for model selection and inflates the scores (specs/protocol.md). mmmer
reproduces it only as a labelled extra next to the honest last-epoch number;
the hook never changes the model that is trained or evaluated.
"""
import json
import os.path as osp

import torch
from mmengine.dist import collect_results, is_main_process
from mmengine.hooks import Hook

from mmmer.evaluation.metrics.me_metric import prediction_records
from mmmer.registry import HOOKS
from mmmer.utils.io import dump_json_atomic


@HOOKS.register_module()
class OracleEpochSelectionHook(Hook):
    """After each epoch, predict the fold's test subject and keep the
    predictions of the epoch with the best accuracy (later ties win, as in the
    HTNet code). Written to ``out_file`` (with a state file for resume)."""
    priority = 'LOWEST'

    def __init__(self, out_file: str):
        self.out_file = out_file
        self.state_file = out_file + '.state.json'
        self.best = None

    def before_train(self, runner):
        if osp.exists(self.state_file):
            with open(self.state_file) as f:
                self.best = json.load(f)

    @torch.no_grad()
    def after_train_epoch(self, runner):
        model = runner.model
        was_training = model.training
        model.eval()
        records = []
        loader = runner.test_dataloader
        for data_batch in loader:
            records.extend(prediction_records(model.test_step(data_batch)))
        if was_training:
            model.train()
        # Under DDP each rank saw part of the test subject: pool on rank 0.
        records = collect_results(records, len(loader.dataset), 'cpu')
        if not is_main_process() or not records:
            return
        acc = sum(r['gt_label'] == r['pred_label'] for r in records) / len(records)
        if self.best is None or acc >= self.best['acc']:
            self.best = dict(acc=acc, epoch=runner.epoch + 1, records=records)
        dump_json_atomic(self.best, self.state_file)

    def after_train(self, runner):
        if self.best is not None and is_main_process():
            dump_json_atomic(self.best['records'], self.out_file)
