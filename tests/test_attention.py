"""Cross-attention share per body part and stream: its definition, the run over a recording, the command.

Tiny random models (built here, with the bundled model's normalisation statistics so that the demo
recording can be fed to them) test the machinery; one run of the command uses the bundled model.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from test_reconstruction import _one_torch_thread  # noqa: F401 - autouse fixture

from step2motion.cli import main
from step2motion.dataset.insole_features import CONDITION_SCHEMA
from step2motion.errors import InputError
from step2motion.io.moticon import read_moticon
from step2motion.model import DenoiserConfig, ModelConfig, RootConfig, Step2MotionModel
from step2motion.model.checkpoint import DEFAULT_MODEL_PATH, Checkpoint, load_checkpoint, save_checkpoint
from step2motion.model.config import DiffusionConfig
from step2motion.model.denoiser import PART_NAMES, StreamCrossAttention
from step2motion.reconstruction.attention import (
    StreamAttention,
    head_shares_and_offsets,
    stream_attention,
)
from step2motion.reconstruction.pipeline import ReconstructionOptions
from step2motion.recording import InsoleRecording
from step2motion.visualisation import attention_plot

DEMO = Path(__file__).resolve().parents[1] / "src" / "step2motion" / "data" / "demo" / "walk_insoles.txt"
WINDOW_FRAMES = 16  # several overlapping windows in two seconds at 30 Hz


def tiny_checkpoint(conditioning: str = "cross_attention") -> Checkpoint:
    """A random small model with the bundled model's streams and normalisation statistics."""
    torch.manual_seed(0)
    config = ModelConfig(
        schema=CONDITION_SCHEMA,
        window_frames=WINDOW_FRAMES,
        denoiser=DenoiserConfig(d_model=40, n_layers=2, n_heads=2, ffn_dim=32, conditioning=conditioning),
        root=RootConfig(d_model=16, n_layers=1, n_heads=2, ffn_dim=16),
        diffusion=DiffusionConfig(sample_steps=3),
    )
    stats = load_checkpoint(DEFAULT_MODEL_PATH).stats
    return Checkpoint(Step2MotionModel(config).eval(), config, stats, {})


@pytest.fixture(scope="module")
def demo_part() -> InsoleRecording:
    """Two seconds of the demo recording."""
    return read_moticon(DEMO).between(0.5, 2.5)


def test_a_heads_share_is_the_size_of_its_own_update_and_uniform_attention_looks_at_the_window_middle() -> (
    None
):
    torch.manual_seed(0)
    attention = StreamCrossAttention(d_model=12, n_streams=3)
    n_frames, n_tokens = 5, 2 * 5
    tokens = torch.randn(1, n_tokens, 12)
    keys, values = torch.zeros(1, 3, n_frames, 4), torch.randn(1, 3, n_frames, 4)
    shares, offsets = head_shares_and_offsets(attention, tokens, keys, values)

    heads, _ = attention.attend(tokens, keys, values)
    own = []
    for head in range(3):  # the update with every other head silenced, bias removed
        alone = torch.zeros_like(heads)
        alone[:, head] = heads[:, head]
        own.append(
            (attention.out(alone.transpose(1, 2).reshape(1, n_tokens, -1)) - attention.out.bias).norm(dim=-1)
        )
    own = torch.stack(own, dim=1)
    torch.testing.assert_close(shares, own / own.sum(dim=1, keepdim=True))
    frame = torch.arange(n_tokens) % n_frames  # part-major tokens: frame of each query
    torch.testing.assert_close(offsets, ((n_frames - 1) / 2 - frame).float().expand(1, 3, -1))


def test_shares_over_a_recording_are_shares_on_its_clock(demo_part: InsoleRecording) -> None:
    result = stream_attention(demo_part, tiny_checkpoint())
    n_frames = result.time_s.size
    assert n_frames > 3 * WINDOW_FRAMES // 2  # overlapping windows were combined
    assert (
        result.share.shape == result.offset_s.shape == (len(PART_NAMES), CONDITION_SCHEMA.n_streams, n_frames)
    )
    assert result.streams == CONDITION_SCHEMA.names and result.parts == PART_NAMES
    np.testing.assert_allclose(result.time_s, demo_part.time_s[0] + np.arange(n_frames) / 30.0, atol=1e-9)
    assert result.time_s[0] >= 0.5 and result.time_s[-1] <= 2.5
    assert np.isfinite(result.share).all() and (result.share >= 0).all()
    np.testing.assert_allclose(result.share.sum(axis=1), 1.0, atol=1e-5)
    assert np.isfinite(result.offset_s).all()
    assert np.abs(result.offset_s).max() <= (WINDOW_FRAMES - 1) / 30.0
    for words in ("2 layers", "3 DDIM steps", "conditional pass", "overlapping windows"):
        assert words in result.description


def test_guidance_takes_the_conditional_pass(demo_part: InsoleRecording) -> None:
    """One window, one step from the same noise: the conditional pass sees the same input whatever the
    guidance, so only a wrong row (the unconditional pass) could change the shares."""
    short = demo_part.between(0.5, 0.9)
    checkpoint = tiny_checkpoint()
    plain = stream_attention(short, checkpoint, ReconstructionOptions(steps=1, guidance=1.0))
    guided = stream_attention(short, checkpoint, ReconstructionOptions(steps=1, guidance=2.5))
    np.testing.assert_allclose(guided.share, plain.share, rtol=1e-5)
    assert "guidance 2.5" in guided.description and "1 window" in guided.description
    with pytest.raises(InputError, match="unconditional"):
        stream_attention(short, checkpoint, ReconstructionOptions(guidance=0.0))


def test_a_model_without_cross_attention_is_refused(demo_part: InsoleRecording) -> None:
    with pytest.raises(InputError, match="no cross-attention"):
        stream_attention(demo_part, tiny_checkpoint("concat"))


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_the_command_draws_the_demo_with_the_bundled_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "attention.png"
    assert main(["attention", str(DEMO), "-o", str(output), "--start", "1", "--end", "3.5"]) == 0
    expected = tuple(round(inches * attention_plot.DPI) for inches in attention_plot.FIGSIZE_IN)
    assert png_size(output) == expected and output.stat().st_size > 50_000
    printed = capsys.readouterr().out
    assert str(output) in printed and all(part in printed for part in PART_NAMES)


def test_the_figure_draws_every_part(demo_part: InsoleRecording) -> None:
    parts, streams, n_frames = len(PART_NAMES), CONDITION_SCHEMA.n_streams, 4
    share = np.full((parts, streams, n_frames), 1.0 / streams)
    attention = StreamAttention(
        np.arange(n_frames) / 30.0, CONDITION_SCHEMA.names, PART_NAMES, share, np.zeros_like(share), "test"
    )
    fig = attention_plot.draw_attention(demo_part, attention, "title")
    for part in PART_NAMES:
        drawn = fig.findobj(lambda artist, part=part: artist.get_gid() == f"{part}-share")
        assert len(drawn) == 1 and drawn[0].get_array().shape == (streams, n_frames)


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error and "\n" not in error
    return error


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = str(tmp_path / "attention.png")
    command = ["attention", str(DEMO), "-o", output]
    assert "--end" in _one_line_error([*command, "--start", "3", "--end", "2"], capsys)
    assert "fewer than 2 samples" in _one_line_error([*command, "--start", "100"], capsys)
    assert "steps must be at least 1" in _one_line_error([*command, "--steps", "0"], capsys)
    assert "--steps must be 1-1000" in _one_line_error([*command, "--steps", "5000"], capsys)
    assert "nope.safetensors" in _one_line_error(
        [*command, "--model", str(tmp_path / "nope.safetensors")], capsys
    )
    assert ".xyz" in _one_line_error(["attention", str(DEMO), "-o", str(tmp_path / "a.xyz")], capsys)
    assert "overwrite" in _one_line_error(["attention", str(DEMO), "-o", str(DEMO)], capsys)
    concat = tiny_checkpoint("concat")
    concat_path = save_checkpoint(tmp_path / "concat.safetensors", concat.model, concat.stats)
    assert "no cross-attention" in _one_line_error([*command, "--model", str(concat_path)], capsys)
    assert not Path(output).exists()


def test_a_cut_keeps_the_samples_in_the_span_only(demo_part: InsoleRecording) -> None:
    cut = demo_part.between(1.0, 1.5)
    keep = (demo_part.time_s >= 1.0) & (demo_part.time_s <= 1.5)
    np.testing.assert_array_equal(cut.time_s, demo_part.time_s[keep])
    np.testing.assert_array_equal(cut.right.pressure_ncm2, demo_part.right.pressure_ncm2[keep])
