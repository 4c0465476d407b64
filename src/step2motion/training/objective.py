"""What training minimises and how validation scores a model.

Loss = pose diffusion loss (x0 L1 on z-scored poses, with classifier-free-guidance condition dropout and
per-stream dropout inside :meth:`PoseDiffusion.training_loss`) + root displacement loss (MSE + cumulative
term, :func:`root_displacement_loss`, the root network fed the stream mask the denoiser saw), both over
real (non-padding) frames only. The two networks share no parameters, so the sum trains each on
its own loss in one loop. :class:`TrainingObjective` is an ``nn.Module`` so that DDP wraps one forward
pass that touches every trained parameter.

Validation MPJPE uses the real sampler: the model's default few-step DDIM from pure noise with its default
guidance, recorded streams only, on fixed windows with a fixed noise seed, scored root-relative over the
21 joints in cm (:func:`step2motion.evaluation.motion_metrics.mpjpe_cm`) on real (non-padding) frames.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

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

    def __init__(self, model: Step2MotionModel, train_pose: bool = True) -> None:
        super().__init__()
        self.model = model
        self.train_pose = train_pose

    def forward(
        self, batch: Batch, stream_mask: torch.Tensor, generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        """Losses on the real frames of ``batch``; ``stream_mask [B, S]`` (recorded, minus sensor dropout)
        gets the pose model's condition dropout on top, and the root network sees that same mask, as
        the denoiser does. Without ``train_pose`` (a frozen pose model) the pose loss is not computed
        and reads 0."""
        model = self.model
        if self.train_pose:
            pose, dropped = model.pose_model.training_loss(
                model.denoiser, batch.poses, batch.condition, stream_mask, generator, batch.frame_valid
            )
        else:
            pose = torch.zeros((), device=batch.poses.device)
            dropped = model.pose_model.condition_mask(stream_mask, generator)
        root = root_displacement_loss(
            model.root(batch.condition, dropped),
            batch.root_motion,
            model.config.root.cumsum_weight,
            batch.frame_valid,
        )
        return {"loss": pose + root, "pose_loss": pose, "root_loss": root}


def _pose_positions_m(poses: np.ndarray) -> np.ndarray:
    """Pose targets ``[T, 21, 3]`` (m) → ``[T, 22, 3]`` with the root at the origin (for the metrics)."""
    n_frames = poses.shape[0]
    return to_world(poses, np.zeros((n_frames, 3)), np.zeros(n_frames))


@contextmanager
def _without_condition_dropout(model: Step2MotionModel) -> Iterator[None]:
    """Run a block with the pose model's condition and stream dropout off (its config restored after)."""
    pose_model = model.pose_model
    config = pose_model.config
    pose_model.config = replace(config, cond_drop_prob=0.0, stream_drop_prob=0.0)
    try:
        yield
    finally:
        pose_model.config = config


@torch.no_grad()
def validation_sums(
    model: Step2MotionModel, batches: Sequence[Batch], stats: NormalisationStats, seed: int
) -> dict[str, float]:
    """Sums over ``batches`` (one process's share of the validation windows): frame-weighted MPJPE
    (``mpjpe_frames_cm``, ``frames``) and window-weighted losses (``loss`` ..., ``windows``).

    The losses are the conditional ones: :class:`TrainingObjective` in eval mode on the recorded streams,
    without condition or stream dropout, with the timesteps and noise of a generator seeded by ``seed``
    and the batch's index, so two calls on the same weights give the same numbers.
    Sums, not means, so processes can add theirs up before dividing.
    """
    device = batches[0].condition.device if batches else torch.device("cpu")
    sums = dict.fromkeys(("mpjpe_frames_cm", "frames", "windows", *LOSS_NAMES), 0.0)
    objective = TrainingObjective(model)
    with evaluating(model), _without_condition_dropout(model):
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
