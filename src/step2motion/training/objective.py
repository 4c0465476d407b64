"""What training minimises and how validation scores a model.

Loss = pose diffusion loss (x0 L1 on z-scored poses, with classifier-free-guidance condition dropout and
per-stream dropout inside :meth:`PoseDiffusion.training_loss`) + root displacement loss (MSE + cumulative
term, :func:`root_displacement_loss`). The two networks share no parameters, so the sum trains each on
its own loss in one loop. :class:`TrainingObjective` is an ``nn.Module`` so that DDP wraps one forward
pass that touches every trained parameter.

Validation MPJPE uses the real sampler: the model's default few-step DDIM from pure noise with its default
guidance, recorded streams only, on fixed windows with a fixed noise seed, scored root-relative over the
21 joints in cm (:func:`step2motion.evaluation.motion_metrics.mpjpe_cm`) on real (non-padding) frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from step2motion.dataset.pose_features import to_world
from step2motion.dataset.windows import NormalisationStats
from step2motion.evaluation.motion_metrics import mpjpe_cm
from step2motion.model.diffusion import evaluating
from step2motion.model.full_model import Step2MotionModel
from step2motion.model.root_displacement import root_displacement_loss
from step2motion.training.data import Batch

LOSS_NAMES: tuple[str, ...] = ("loss", "pose_loss", "root_loss")


class TrainingObjective(nn.Module):
    """``model`` plus its training losses; ``forward`` returns ``{loss, pose_loss, root_loss}``."""

    def __init__(self, model: Step2MotionModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, batch: Batch, stream_mask: torch.Tensor, generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        model = self.model
        pose = model.pose_model.training_loss(
            model.denoiser, batch.poses, batch.condition, stream_mask, generator
        )
        root = root_displacement_loss(
            model.root(batch.condition), batch.root_motion, model.config.root.cumsum_weight
        )
        return {"loss": pose + root, "pose_loss": pose, "root_loss": root}


def _pose_positions_m(poses: np.ndarray) -> np.ndarray:
    """Pose targets ``[T, 21, 3]`` (m) → ``[T, 22, 3]`` with the root at the origin (for the metrics)."""
    n_frames = poses.shape[0]
    return to_world(poses, np.zeros((n_frames, 3)), np.zeros(n_frames))


@torch.no_grad()
def validation_sums(
    model: Step2MotionModel, batches: Sequence[Batch], stats: NormalisationStats, seed: int
) -> dict[str, float]:
    """Sums over ``batches`` (one process's share of the validation windows): frame-weighted MPJPE
    (``mpjpe_frames_cm``, ``frames``) and window-weighted losses (``loss`` ..., ``windows``).

    Sums, not means, so processes can add theirs up before dividing.
    """
    device = batches[0].condition.device if batches else torch.device("cpu")
    sums = dict.fromkeys(("mpjpe_frames_cm", "frames", "windows", *LOSS_NAMES), 0.0)
    objective = TrainingObjective(model)
    with evaluating(model):
        for index, batch in enumerate(batches):
            generator = torch.Generator(device).manual_seed(seed + index)
            losses = objective(batch, batch.recorded, generator)
            for name in LOSS_NAMES:
                sums[name] += float(losses[name]) * batch.poses.shape[0]
            sums["windows"] += batch.poses.shape[0]
            sampled = model.pose_model.sample(
                model.denoiser, batch.condition, batch.recorded, generator=generator
            )
            predicted_m = stats.poses.denormalise(sampled.double().cpu().numpy())
            true_m = stats.poses.denormalise(batch.poses.double().cpu().numpy())
            for pred, true, valid in zip(predicted_m, true_m, batch.frame_valid.cpu().numpy(), strict=True):
                n_valid = int(valid.sum())
                sums["mpjpe_frames_cm"] += n_valid * mpjpe_cm(
                    _pose_positions_m(pred[valid]), _pose_positions_m(true[valid])
                )
                sums["frames"] += n_valid
    return sums


def validation_metrics(sums: dict[str, float]) -> dict[str, float]:
    """Means from (all processes') :func:`validation_sums`: ``val_mpjpe_cm`` and ``val_loss`` ...."""
    metrics = {"val_mpjpe_cm": sums["mpjpe_frames_cm"] / max(sums["frames"], 1.0)}
    metrics |= {f"val_{name}": sums[name] / max(sums["windows"], 1.0) for name in LOSS_NAMES}
    return metrics
