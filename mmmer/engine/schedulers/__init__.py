from .train_loss_plateau_lr import TrainLossPlateauLR  # noqa: F401
