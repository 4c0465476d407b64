"""Training the Step2Motion model on paired insole recordings and motion (``step2motion train``).

``config`` (the JSON settings), ``data`` (split, window sampling, sensor dropout), ``objective`` (losses
and validation metrics), ``distributed`` (one process or ``torchrun`` DDP), ``resume_state`` (what
``--resume`` needs beside the checkpoint) and ``loop`` (the run itself).
"""

from step2motion.training.config import DEFAULT_SENSOR_GROUPS, TrainConfig, load_train_config
from step2motion.training.loop import BEST_NAME, LAST_NAME, METRICS_NAME, TrainResult, learning_rate, train

__all__ = [
    "BEST_NAME",
    "DEFAULT_SENSOR_GROUPS",
    "LAST_NAME",
    "METRICS_NAME",
    "TrainConfig",
    "TrainResult",
    "learning_rate",
    "load_train_config",
    "train",
]
