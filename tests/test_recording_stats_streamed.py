"""Recording statistics from chunks (``compare-recordings`` reads exports chunk by chunk): the same
statistics as from the whole recording, whatever the chunk size, steps crossing chunk boundaries."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from test_recording_stats import synthetic_walk

from step2motion.errors import InputError
from step2motion.evaluation.recording_stats import (
    RecordingColumns,
    Value,
    columns_statistics,
    file_statistics,
    recording_statistics,
)
from step2motion.io.moticon import read_moticon, write_moticon
from step2motion.recording import SIDES, FootSignals, InsoleRecording

CHUNK_ROWS = 7


def assert_same_statistics(got: dict[str, dict[str, Value]], expected: dict[str, dict[str, Value]]) -> None:
    """Equal statistics: counts and categories exactly, floats to 1e-12 relative (sums taken in another
    order may differ in the last bits), NaN where NaN."""
    assert got.keys() == expected.keys()
    for scope in expected:
        assert got[scope].keys() == expected[scope].keys(), scope
        for key, value in expected[scope].items():
            other = got[scope][key]
            if isinstance(value, str | int):
                assert type(other) is type(value) and other == value, (scope, key, other, value)
            elif not math.isfinite(value):
                assert isinstance(other, float) and not math.isfinite(other), (scope, key, other, value)
            else:
                assert isinstance(other, float), (scope, key, other)
                assert math.isclose(other, value, rel_tol=1e-12, abs_tol=1e-15), (scope, key, other, value)


def irregular_walk(duration_s: float = 12.0) -> InsoleRecording:
    """The synthetic walk with what the statistics must see across chunks: missing stretches (short, inside
    steps, and long), partly quantised pressures, and the exporter's (0, 0) CoP on some loaded samples."""
    rec = synthetic_walk(duration_s)
    left, right = rec.left, rec.right
    left.pressure_ncm2[:300] = np.round(left.pressure_ncm2[:300] / 0.25) * 0.25
    left.pressure_ncm2[120:124, 3] = np.nan  # 40 ms gap inside a step: the step stays
    left.acc_g[400:412] = np.nan  # 120 ms: drops the step around it
    right.pressure_ncm2[700:702] = np.nan
    right.gyro_dps[5] = np.nan
    right.cop_norm[np.flatnonzero(right.total_force_n > 50.0)[::37]] = 0.0
    return rec


def chunks_of(rec: InsoleRecording, rows: int) -> list[InsoleRecording]:
    """``rec`` cut into consecutive chunks of ``rows`` samples (the last shorter), as a reader yields them."""
    return [
        dataclasses.replace(
            rec,
            time_s=rec.time_s[index],
            **{side: rec.foot(side).take(index) for side in SIDES},
        )
        for index in np.array_split(np.arange(rec.n_samples), np.arange(rows, rec.n_samples, rows))
    ]


def chunked_statistics(rec: InsoleRecording, rows: int) -> dict[str, dict[str, Value]]:
    return columns_statistics(
        RecordingColumns.concatenate([RecordingColumns.of(c) for c in chunks_of(rec, rows)])
    )


@pytest.mark.parametrize("rows", [CHUNK_ROWS, 2, 100, 10_000])
def test_chunked_statistics_equal_the_whole_recordings(rows: int) -> None:
    rec = irregular_walk()
    whole = recording_statistics(rec)
    assert whole["left"]["n_steps"] >= 5 and whole["right"]["n_steps"] >= 5  # steps span many chunks
    assert whole["left"]["missing_samples"] > 0 and 0.0 < whole["recording"]["quantised_share"] < 1.0
    assert np.isfinite(whole["right"]["cop_placeholder_max_force_n"])
    assert_same_statistics(chunked_statistics(rec, rows), whole)


def test_chunked_statistics_with_an_estimated_body_weight_and_a_side_without_data() -> None:
    rec = irregular_walk()
    rec.metadata = {}
    rec.right = FootSignals.missing(rec.n_samples)
    whole = recording_statistics(rec)
    assert whole["recording"]["body_weight_source"] == "estimated" and whole["right"]["n_steps"] == 0
    assert_same_statistics(chunked_statistics(rec, CHUNK_ROWS), whole)
    assert_same_statistics(
        columns_statistics(RecordingColumns.of(rec), body_weight_n=600.0),
        recording_statistics(rec, body_weight_n=600.0),
    )


def test_file_statistics_read_in_chunks_equal_those_of_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "walk.txt"
    write_moticon(irregular_walk(), path)
    whole = recording_statistics(read_moticon(path))
    assert_same_statistics(file_statistics(path, chunk_rows=CHUNK_ROWS), whole)
    assert_same_statistics(file_statistics(path), whole)


def test_real_exports_in_chunks(shared_dir: Path) -> None:
    paths = sorted((shared_dir / "data/insoles_real/moticon-opengo-1.0.3_testdata").glob("*.txt"))
    assert paths
    for path in paths:
        assert_same_statistics(
            file_statistics(path, chunk_rows=997), recording_statistics(read_moticon(path))
        )


def test_a_bad_row_in_a_late_chunk_raises_as_reading_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "walk.txt"
    write_moticon(synthetic_walk(2.0), path)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[-10] = lines[-10].replace("\t", "\tx", 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as whole:
        read_moticon(path)
    with pytest.raises(InputError) as chunked:
        file_statistics(path, chunk_rows=CHUNK_ROWS)
    assert str(chunked.value) == str(whole.value)


def test_compare_recordings_json_holds_the_whole_recordings_statistics(tmp_path: Path) -> None:
    from step2motion.cli import main

    path, out = tmp_path / "walk.txt", tmp_path / "stats.json"
    write_moticon(irregular_walk(), path)
    assert main(["compare-recordings", str(path), "--json", str(out)]) == 0
    got: dict[str, dict[str, Value]] = {scope: {} for scope in ("recording", *SIDES)}
    for name, statistic in json.loads(out.read_text(encoding="utf-8"))["statistics"].items():
        for scope, value in statistic["values"]["walk.txt"].items():
            got[scope][name.split(".", 1)[1]] = math.nan if value is None else value  # JSON null = NaN
    assert_same_statistics(got, recording_statistics(read_moticon(path)))
