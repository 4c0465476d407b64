"""Training window sampling: every second of every clip drawn equally often (× its style weight),
whatever the clip's length, reproducibly by (seed, rank, step)."""

from __future__ import annotations

import numpy as np
import pytest
from test_windows import _clip

from step2motion.dataset.windows import NormalisationStats, WindowDataset
from step2motion.errors import InputError
from step2motion.training.data import WindowBatchSampler, style_window_dataset

W = 100
FPS = 30
SHORT, LONG = _clip(40, 1), _clip(400, 2)
STATS = NormalisationStats.from_clips([SHORT, LONG])


def _frame_counts(dataset: WindowDataset, sampler: WindowBatchSampler) -> list[np.ndarray]:
    """How often each frame of each clip was in a drawn window (mirrored or not)."""
    counts = [np.zeros(c.n_frames + 1) for c in dataset.clips]  # difference arrays
    for batch in sampler:
        for index in batch:
            clip_index, start, _ = dataset.window(index)
            n = dataset.clips[clip_index].n_frames
            counts[clip_index][max(start, 0)] += 1
            counts[clip_index][min(start + W, n)] -= 1
    return [np.cumsum(c)[:-1] for c in counts]


def _per_second(counts: np.ndarray) -> np.ndarray:
    """Mean count per frame of each second (the last one partial)."""
    return np.array([counts[i : i + FPS].mean() for i in range(0, counts.size, FPS)])


@pytest.mark.parametrize("short_weight", [1.0, 2.0])
def test_every_second_of_a_short_and_a_long_clip_is_drawn_equally_often(short_weight: float) -> None:
    dataset, probability = style_window_dataset(
        [SHORT, LONG], ["run", "walk"], W, STATS, mirror=True, style_weights={"run": short_weight}
    )
    sampler = WindowBatchSampler(probability, batch_size=500, seed=0, rank=0, start_step=0, end_step=200)
    short, long = _frame_counts(dataset, sampler)
    rate = long.mean()
    assert rate > 10_000  # enough draws for the 4 % tolerance (≈ 5 standard deviations)
    np.testing.assert_allclose(_per_second(long), rate, rtol=0.04)
    np.testing.assert_allclose(_per_second(short), short_weight * rate, rtol=0.04)
    # what used to happen: windows inside the long clip only cover its first second 6× less than its middle
    inside = WindowDataset([LONG], W)
    ramp = np.zeros(LONG.n_frames)
    for index in range(len(inside)):
        ramp[inside.window(index)[1] :][:W] += 1
    assert _per_second(ramp)[0] < _per_second(ramp)[5] / 6


def test_windows_place_the_clip_at_every_offset_and_items_follow() -> None:
    dataset = WindowDataset([SHORT, LONG], W, mirror=True, even_coverage=True)
    n_original = (W - SHORT.n_frames + 1) + (LONG.n_frames + W - 1)
    assert len(dataset) == 2 * n_original
    starts = [dataset.window(i) for i in range(n_original)]
    assert starts[0] == (0, SHORT.n_frames - W, False) and starts[W - SHORT.n_frames] == (0, 0, False)
    assert starts[W - SHORT.n_frames + 1] == (1, 1 - W, False) and starts[-1] == (1, LONG.n_frames - 1, False)
    assert dataset.window(n_original) == (0, SHORT.n_frames - W, True)
    assert len(WindowDataset([_clip(W, 3)], W, even_coverage=True)) == 1  # a clip that fills the window
    for index, lead, clip_frames in (
        (10, W - SHORT.n_frames - 10, slice(0, SHORT.n_frames)),  # short clip, 50 frames of padding first
        (W - SHORT.n_frames + 1 + 89, 10, slice(0, W - 10)),  # long clip, start -10
        (n_original - 10, 0, slice(LONG.n_frames - 10, LONG.n_frames)),  # long clip, start 390
    ):
        item = dataset[index]
        clip = dataset.clips[item["clip_index"]]
        n_valid = clip_frames.stop - clip_frames.start
        valid = np.zeros(W, dtype=bool)
        valid[lead : lead + n_valid] = True
        np.testing.assert_array_equal(item["frame_valid"].numpy(), valid)
        np.testing.assert_allclose(item["poses"][valid].numpy(), clip.poses[clip_frames], rtol=1e-6)
        assert (item["poses"][~valid] == 0).all() and not item["present"]["left_imu"][~valid].any()
        assert item["start"] == clip_frames.start - lead


def test_sampling_is_reproducible_by_seed_rank_and_step() -> None:
    _, probability = style_window_dataset([SHORT, LONG], ["walk", "walk"], W, STATS, True, {})
    whole = list(WindowBatchSampler(probability, 16, seed=3, rank=1, start_step=0, end_step=8))
    resumed = list(WindowBatchSampler(probability, 16, seed=3, rank=1, start_step=5, end_step=8))
    assert resumed == whole[5:]
    assert list(WindowBatchSampler(probability, 16, seed=3, rank=0, start_step=0, end_step=8)) != whole
    assert len({i for batch in whole for i in batch}) > 64  # placements vary, not one window per clip


def test_validation_windows_stay_the_windows_inside_each_clip() -> None:
    dataset = WindowDataset([SHORT, LONG], W)
    assert [dataset.window(i) for i in (0, 1, len(dataset) - 1)] == [
        (0, 0, False),
        (1, 0, False),
        (1, 300, False),
    ]
    assert (
        dataset[0]["frame_valid"][: SHORT.n_frames].all()
        and not dataset[0]["frame_valid"][SHORT.n_frames :].any()
    )
    with pytest.raises(ValueError, match="even_coverage"):
        dataset.frame_probability()


def test_weight_zero_for_every_style_is_refused() -> None:
    with pytest.raises(InputError, match="weight 0"):
        style_window_dataset([SHORT, LONG], ["run", "walk"], W, STATS, False, {"run": 0.0, "walk": 0.0})
