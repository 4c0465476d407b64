"""``step2motion render``: MP4 and GIF of the bundled demo keep the scene's clock (frame count, duration,
GIF delays), show a picture that changes over time, and user mistakes are one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageSequence

from step2motion.cli import main
from step2motion.cli.demo import DEMO_RECORDING, DEMO_TRUTH
from step2motion.visualisation.scene import Scene, load_scene
from step2motion.visualisation.video import frame_size_px, render_video

WIDTH_PX = 320


@pytest.fixture(scope="module")
def scene() -> Scene:
    """The demo recording with its truth drawn both as the motion and as the truth (no model needed)."""
    return load_scene(DEMO_RECORDING, [DEMO_TRUTH], DEMO_TRUTH)


def mp4_frames(path: Path) -> np.ndarray:
    """All frames ``[n, H, W, 3]`` of a video, decoded by ffmpeg."""
    reader = imageio_ffmpeg.read_frames(str(path))
    width, height = next(reader)["size"]
    return np.stack([np.frombuffer(frame, np.uint8).reshape(height, width, 3) for frame in reader])


def assert_drawn_and_moving(frames: np.ndarray) -> None:
    """Frames of the expected size, not blank, and the last one differs from the first."""
    assert frames.shape[1:3] == frame_size_px(WIDTH_PX)[::-1]
    for frame in frames[[0, -1]]:
        assert frame.std() > 20  # a white frame with a little text would be far flatter
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 0.5


def test_mp4_of_the_whole_scene_has_its_duration(scene: Scene, tmp_path: Path) -> None:
    fps = 8.0
    stats = render_video(scene, tmp_path / "clip.mp4", fps=fps, width_px=WIDTH_PX, progress=False)

    expected = round(scene.duration_s * fps)
    assert (stats.n_frames, stats.duration_s) == (expected, expected / fps)
    n_frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(stats.path))
    assert n_frames == expected
    assert seconds == pytest.approx(expected / fps, abs=0.5 / fps)
    frames = mp4_frames(stats.path)
    assert len(frames) == expected
    assert_drawn_and_moving(frames)
    assert list(tmp_path.iterdir()) == [stats.path]  # no .partial left behind


def test_gif_window_keeps_time_with_uneven_delays(scene: Scene, tmp_path: Path) -> None:
    """30 fps is 3⅓ hundredths per frame: delays of 30 and 40 ms that add up to the window exactly."""
    stats = render_video(
        scene, tmp_path / "clip.gif", fps=30, width_px=WIDTH_PX, start_s=1.0, end_s=2.0, progress=False
    )

    assert stats.n_frames == 30
    with Image.open(stats.path) as gif:
        assert gif.n_frames == 30
        delays = []
        frames = []
        for frame in ImageSequence.Iterator(gif):
            delays.append(frame.info["duration"])
            frames.append(np.asarray(frame.convert("RGB")))
    assert set(delays) == {30, 40}
    assert sum(delays) == 1000
    assert_drawn_and_moving(np.stack(frames))
    assert (frames[-1][0, 0] == 255).all()  # the background stays pure white through the palette


def test_render_command_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "clip.mp4"
    args = ["render", str(DEMO_RECORDING), "--motion", str(DEMO_TRUTH), "-o", str(output)]
    assert main([*args, "--start", "2", "--end", "2.5", "--fps", "10", "--width-px", str(WIDTH_PX)]) == 0

    assert f"wrote {output}: 5 frames at 10 fps (0.50 s)" in capsys.readouterr().out
    assert imageio_ffmpeg.count_frames_and_secs(str(output))[0] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.txt", "-o", "{tmp}/clip.avi"], "cannot write a .avi video"),  # refused before reading
        (["{tmp}/missing.txt", "-o", "{tmp}/clip.mp4"], "missing.txt"),
        (["-o", "{tmp}/clip.mp4"], "nothing to show"),
        (["--truth", str(DEMO_TRUTH), "-o", "{tmp}/clip.gif", "--fps", "60"], "at most 50 for a GIF"),
        (["--truth", str(DEMO_TRUTH), "-o", "{tmp}/clip.mp4", "--start", "9"], "nothing to draw"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", *(arg.format(tmp=tmp_path) for arg in args)]) == 2

    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("step2motion render: error: ")
    assert message in error
    assert not list(tmp_path.iterdir())
