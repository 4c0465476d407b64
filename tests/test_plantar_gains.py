"""Plantar load redistribution: the load moves between cells, the foot's total and the padding stay."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from step2motion.dataset.windows import ChannelStats, NormalisationStats
from step2motion.training.config import TrainConfig
from step2motion.training.plantar_gains import redistribute_plantar_load

B, W = 4, 12
PRESSURE = [f"{side}_{part}_pressure" for side in ("left", "right") for part in ("rearfoot", "forefoot")]


def _stats() -> NormalisationStats:
    rng = np.random.default_rng(0)
    streams = {name: ChannelStats(rng.uniform(0.0, 0.05, 8), rng.uniform(0.02, 0.1, 8)) for name in PRESSURE}
    streams["left_imu"] = ChannelStats(np.zeros(9), np.ones(9))
    unit = ChannelStats(np.zeros(1), np.ones(1))
    return NormalisationStats(streams, unit, unit, unit)


def _streams(stats: NormalisationStats) -> dict[str, torch.Tensor]:
    """z-scored streams of non-negative cell forces (some frames unloaded) and an IMU stream."""
    rng = np.random.default_rng(1)
    out = {}
    for name in PRESSURE:
        bw = rng.uniform(0.0, 0.2, (B, W, 8)) * (rng.random((B, W, 1)) > 0.2)
        out[name] = torch.from_numpy(stats.streams[name].normalise(bw)).float()
    out["left_imu"] = torch.from_numpy(rng.standard_normal((B, W, 9))).float()
    return out


def _bw(streams: dict[str, torch.Tensor], stats: NormalisationStats, side: str) -> np.ndarray:
    names = [f"{side}_rearfoot_pressure", f"{side}_forefoot_pressure"]
    return np.concatenate(
        [streams[n].numpy() * stats.streams[n].std + stats.streams[n].mean for n in names], axis=-1
    )


def test_load_moves_between_cells_and_the_total_stays() -> None:
    stats = _stats()
    streams = _streams(stats)
    valid = torch.ones(B, W, dtype=torch.bool)
    valid[:, -3:] = False  # padding
    moved = redistribute_plantar_load(streams, valid, stats, 0.5, np.random.default_rng(2))
    torch.testing.assert_close(moved["left_imu"], streams["left_imu"])
    for side in ("left", "right"):
        before, after = _bw(streams, stats, side), _bw(moved, stats, side)
        np.testing.assert_allclose(after.sum(-1), before.sum(-1), rtol=1e-5, atol=1e-6)
        assert (after >= -1e-6).all()
        np.testing.assert_allclose(after[:, -3:], before[:, -3:], atol=1e-6)  # padding untouched
        loaded = before[:, :-3].sum(-1) > 0
        assert np.abs(after[:, :-3][loaded] - before[:, :-3][loaded]).max() > 0.01
        # one gain per window and cell: the ratio of two cells is scaled alike on every frame of a window
        ratio = (after[..., 0] / after[..., 5].clip(1e-9)) / (before[..., 0] / before[..., 5].clip(1e-9))
        both = (before[..., 0] > 0.01) & (before[..., 5] > 0.01) & valid.numpy()
        for window in range(B):
            values = ratio[window][both[window]]
            if values.size > 1:
                np.testing.assert_allclose(values, values[0], rtol=1e-4)


def test_no_gain_no_change_and_the_same_draw_gives_the_same_gains() -> None:
    stats = _stats()
    streams = _streams(stats)
    valid = torch.ones(B, W, dtype=torch.bool)
    same = redistribute_plantar_load(streams, valid, stats, 0.0, np.random.default_rng(3))
    for name in streams:
        assert same[name] is streams[name]
    first = redistribute_plantar_load(streams, valid, stats, 0.3, np.random.default_rng(3))
    again = redistribute_plantar_load(streams, valid, stats, 0.3, np.random.default_rng(3))
    for name in streams:
        torch.testing.assert_close(first[name], again[name])


def test_the_setting_is_checked_and_old_runs_resume_without_it() -> None:
    from step2motion.errors import InputError
    from step2motion.training.config import SETTINGS_ADDED_SINCE

    assert SETTINGS_ADDED_SINCE["plantar_gain_sigma"] == 0.0
    with pytest.raises(InputError, match="plantar_gain_sigma"):
        TrainConfig(data_dir="d", output_dir="o", plantar_gain_sigma=-0.1)
