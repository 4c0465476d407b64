"""Virtual insoles: turn a motion into the OpenGo recording a person wearing insoles would produce.

Pipeline, all at the motion's own frame rate (or at ``rate_hz`` when that is higher, after
resampling the motion up), then sampled at ``rate_hz``:

1. centre of mass (:mod:`.body_model`) and its acceleration → whole-body vertical force and ZMP
   (:mod:`.ground_reaction`);
2. sole models, floor and contacts (:mod:`.foot_contact`) → per-foot force, shared in double support
   so that the combined centre of pressure follows the ZMP;
3. per-foot force spread over the 16 cells as the foot rolls: heel rocker and roll-over while the heel
   is down, forefoot rocker once it lifts (:mod:`.plantar_pressure`);
4. the 6-axis IMU of each insole, on the same sole model as the cells (:mod:`.imu`);
5. the sensor model (:mod:`.sensor_model`): quantisation, saturation, threshold and, with
   ``noise="realistic"``, noise, bias drift and missing samples.

The recording covers the motion's duration: ``round(duration × rate_hz)`` samples at ``k / rate_hz``
(the last frame's values hold for its frame period); :func:`motion_at_rate` gives the motion on the
same samples, to pair with the recording frame by frame. Both first drop what is not motion at the
clip's ends (:func:`settled_motion`): the DAZ releases of CMU (71 of the corpus's 196 clips) blend in
from the rest pose over the 3–4 frames after the dropped T-pose frame, hands sweeping at 12–26 m/s,
which read as −15 g and 2000 deg/s on the insoles; a few other clips start with a frozen or a
displaced frame.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from step2motion import __version__, insole_layout
from step2motion.errors import InputError
from step2motion.io.bvh import resample_motion
from step2motion.kinematics import time_derivative
from step2motion.motion import Motion
from step2motion.recording import SIDES, FootSignals, InsoleRecording
from step2motion.simulation import foot_contact, ground_reaction, plantar_pressure
from step2motion.simulation.body_model import centre_of_mass_m
from step2motion.simulation.imu import simulate_imu
from step2motion.simulation.sensor_model import apply_sensor_model, derived_channels

MASS_RANGE_KG = (20.0, 250.0)
NOISE_LEVELS = ("realistic", "none")
#: Half-width of the COM acceleration stencil: ±40 ms keeps the walking force humps (CMU walks: heel
#: peak 1.11 BW at ±40 ms, 1.09 at ±60 ms) and running peaks while removing marker jitter.
COM_DERIVATIVE_HALF_WINDOW_S = 0.04
#: Second derivatives need at least this many frames.
MIN_FRAMES = 4
#: Clip-edge jumps (:func:`settled_motion`): within this much of either end, a frame step in which
#: some joint moves faster than ``EDGE_JUMP_FACTOR`` × the clip's 99th-percentile peak joint speed
#: elsewhere (and than ``EDGE_JUMP_MIN_SPEED_MS``) is not motion. On the corpus the DAZ blend-in steps
#: run at 4–6× that percentile (the last one at 1–2×, hence one frame dropped beyond the last jump),
#: glitch frames at 10–80×; of the 125 other clips, 3 also lose 2–8 leading frames.
EDGE_WINDOW_S = 0.1
EDGE_JUMP_FACTOR = 1.5
EDGE_JUMP_MIN_SPEED_MS = 2.0


@dataclass(frozen=True)
class FootLoads:
    """Noise-free loads of both feet at the motion's frames (``[T]`` / ``[T, 16]`` per side).

    Attributes:
        body_force_n: whole-body vertical ground reaction from the COM, before contacts.
        force_n: per-foot vertical force (N) keyed by side.
        pressure_ncm2: per-foot cell pressures (N/cm²) keyed by side; Σ p·A = ``force_n`` exactly.
        contact: per-foot contact weight in [0, 1] keyed by side.
        soles: per-foot sole model keyed by side (it also places the IMU chip).
    """

    body_force_n: np.ndarray
    force_n: dict[str, np.ndarray]
    pressure_ncm2: dict[str, np.ndarray]
    contact: dict[str, np.ndarray]
    soles: dict[str, foot_contact.SoleModel]


@dataclass(frozen=True)
class _Feet:
    """Both feet against the floor, per side: sole models, cell positions ``[T, 16, 3]`` and heights
    above the floor ``[T, 16]``, contact weights ``[T]``; and the lower of the two floors ``[T]``."""

    soles: dict[str, foot_contact.SoleModel]
    cells_m: dict[str, np.ndarray]
    heights_m: dict[str, np.ndarray]
    contact: dict[str, np.ndarray]
    floor_m: np.ndarray


def _feet_on_floor(positions: np.ndarray, rotmats: np.ndarray, fps: float) -> _Feet:
    soles = {side: foot_contact.calibrate_sole(positions, rotmats, fps, side) for side in SIDES}
    cells = {side: foot_contact.cell_positions_m(positions, rotmats, soles[side]) for side in SIDES}
    lowest, speed = {}, {}
    for side in SIDES:
        lowest[side], speed[side] = foot_contact.lowest_cell(cells[side], fps)
    floors = foot_contact.floor_heights_m(lowest, speed, fps)
    return _Feet(
        soles=soles,
        cells_m=cells,
        heights_m={side: cells[side][..., 1] - floors[side][:, None] for side in SIDES},
        contact={
            side: foot_contact.contact_weight(lowest[side] - floors[side], speed[side]) for side in SIDES
        },
        floor_m=np.minimum(*floors.values()),
    )


def simulate_loads(motion: Motion, mass_kg: float, insole_size: int) -> FootLoads:
    """Ground reaction, contacts and cell pressures of both feet at ``motion.fps`` (steps 1–3)."""
    fps = motion.fps
    positions, rotmats = motion.forward_kinematics()
    com = centre_of_mass_m(positions)
    com_acc = time_derivative(com, fps, order=2, half_window_s=COM_DERIVATIVE_HALF_WINDOW_S)
    feet = _feet_on_floor(positions, rotmats, fps)
    shapes = {side: plantar_pressure.pressure_shape(feet.heights_m[side]) for side in SIDES}
    centres = {
        side: plantar_pressure.shape_centroid(shapes[side], feet.cells_m[side][..., [0, 2]], insole_size)
        for side in SIDES
    }
    zmp = ground_reaction.zero_moment_point_m(com, com_acc, feet.floor_m, fps)
    left_share = ground_reaction.left_share_from_zmp(zmp, centres["left"], centres["right"])
    body_force = ground_reaction.vertical_force_n(com_acc, mass_kg)
    forces = ground_reaction.split_between_feet(
        body_force, left_share, feet.contact["left"], feet.contact["right"], fps
    )
    pressure = {}
    for side, force in zip(SIDES, forces, strict=True):
        rollover_x = foot_contact.rollover_cop_x_norm(positions, rotmats, feet.soles[side])
        target_x = plantar_pressure.cop_target_x_norm(shapes[side], feet.heights_m[side], rollover_x)
        shape = plantar_pressure.tilt_towards(shapes[side], target_x, insole_size)
        pressure[side] = plantar_pressure.distribute_force(force, shape, insole_size)
    return FootLoads(body_force, dict(zip(SIDES, forces, strict=True)), pressure, feet.contact, feet.soles)


def settled_span(motion: Motion) -> tuple[int, int]:
    """Frames ``[start, stop)`` of ``motion`` that are motion: jumps at either end are dropped.

    A jump is a frame step, within ``EDGE_WINDOW_S`` of an end, whose fastest joint beats
    ``EDGE_JUMP_FACTOR`` × the 99th percentile of the fastest joint's speed over the rest of the clip;
    everything from the jump outward goes, and one frame more (a blend's last, smaller step). Clips
    shorter than three windows are kept whole (there is no "rest of the clip" to compare with), and so
    are clips that would lose half their frames (at 10 fps a window is one frame).
    """
    window = round(EDGE_WINDOW_S * motion.fps)
    if window < 1 or motion.n_frames <= 3 * window:
        return 0, motion.n_frames
    step_m = np.linalg.norm(np.diff(motion.joint_positions_m(), axis=0), axis=-1).max(axis=1)
    speed_ms = step_m * motion.fps  # [T - 1], step t is frame t -> t + 1
    limit = max(EDGE_JUMP_MIN_SPEED_MS, EDGE_JUMP_FACTOR * float(np.percentile(speed_ms[window:-window], 99)))
    head = np.flatnonzero(speed_ms[:window] > limit)
    tail = np.flatnonzero(speed_ms[-window:] > limit)
    start = int(head[-1]) + 2 if head.size else 0
    stop = motion.n_frames - (window - int(tail[0]) + 1 if tail.size else 0)
    return (start, stop) if 2 * (stop - start) >= motion.n_frames else (0, motion.n_frames)


def settled_motion(motion: Motion, span: tuple[int, int] | None = None) -> Motion:
    """``motion`` cut to ``span`` (default :func:`settled_span`); the same object when that is all of it."""
    start, stop = settled_span(motion) if span is None else span
    if (start, stop) == (0, motion.n_frames):
        return motion
    return dataclasses.replace(
        motion,
        local_rotations=motion.local_rotations[start:stop],
        root_position_m=motion.root_position_m[start:stop],
    )


def _validate(motion: Motion, mass_kg: float, insole_size: int, rate_hz: float, noise: str) -> None:
    where = motion.source or None
    if not MASS_RANGE_KG[0] <= mass_kg <= MASS_RANGE_KG[1]:
        raise InputError(f"body mass must be {MASS_RANGE_KG[0]:g}-{MASS_RANGE_KG[1]:g} kg, got {mass_kg:g}")
    if insole_size not in insole_layout.VALID_SIZES:
        sizes = insole_layout.VALID_SIZES
        raise InputError(f"insole size must be one of {sizes[0]}..{sizes[-1]}, got {insole_size}")
    if not (np.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(f"sample rate must be a positive number of Hz, got {rate_hz:g}")
    if noise not in NOISE_LEVELS:
        raise InputError(f"noise must be one of {', '.join(NOISE_LEVELS)}, got {noise!r}")
    if motion.n_frames < MIN_FRAMES:
        raise InputError(f"motion has {motion.n_frames} frames; at least {MIN_FRAMES} are needed", where)


def recording_length(motion: Motion, rate_hz: float) -> int:
    """Samples of the recording of ``motion`` at ``rate_hz``: its duration, rounded to whole samples."""
    return max(1, round(motion.duration_s * rate_hz))


def motion_at_rate(motion: Motion, rate_hz: float) -> Motion:
    """``motion`` on its recording's samples: its :func:`settled_motion` at ``rate_hz``, with
    ``recording_length`` frames, frame ``k`` at ``k / rate_hz``.

    Resampled by :func:`~step2motion.io.bvh.resample_motion` (which stops at the last source frame);
    the last pose then holds for the rest of its frame period, as the recording's signals do.
    """
    motion = settled_motion(motion)
    resampled = resample_motion(motion, rate_hz)
    frames = np.minimum(np.arange(recording_length(motion, rate_hz)), resampled.n_frames - 1)
    return dataclasses.replace(
        resampled,
        local_rotations=resampled.local_rotations[frames],
        root_position_m=resampled.root_position_m[frames],
    )


def _sample(values: np.ndarray, source_fps: float, time_s: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` ``[T, ...]`` (frame ``i`` at ``i / source_fps``) at ``time_s``."""
    frame_time_s = np.arange(values.shape[0]) / source_fps
    flat = values.reshape(values.shape[0], -1)
    sampled = np.stack([np.interp(time_s, frame_time_s, column) for column in flat.T], axis=1)
    return sampled.reshape((len(time_s), *values.shape[1:]))


def _foot_signals(
    pressure_ncm2: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray, size: int
) -> FootSignals:
    """A foot's channels with total force and CoP derived from the pressures as the exports do."""
    total_force_n, cop_norm = derived_channels(pressure_ncm2, size)
    return FootSignals(pressure_ncm2, acc_g, gyro_dps, total_force_n, cop_norm)


def simulate_recording(
    motion: Motion,
    mass_kg: float = 70.0,
    insole_size: int = 7,
    rate_hz: float = 100.0,
    noise: str = "realistic",
    seed: int = 0,
) -> InsoleRecording:
    """The insole recording of ``motion`` for a person of ``mass_kg`` wearing size-``insole_size`` insoles.

    The recording starts at the first frame of :func:`settled_motion` (pair it with
    :func:`motion_at_rate`); the header says how many source frames were dropped. Raises
    :class:`~step2motion.errors.InputError` for a value out of range (mass 20–250 kg, a valid OpenGo
    size, a positive rate, noise ``realistic`` or ``none``) or a motion under 4 frames.
    """
    _validate(motion, mass_kg, insole_size, rate_hz, noise)
    span = settled_span(motion)
    dropped = f"{span[0]} at the start, {motion.n_frames - span[1]} at the end"
    motion = settled_motion(motion, span)
    working = motion if motion.fps >= rate_hz else resample_motion(motion, rate_hz)
    loads = simulate_loads(working, mass_kg, insole_size)
    time_s = np.arange(recording_length(motion, rate_hz)) / rate_hz
    feet = {}
    for side in SIDES:
        acc_g, gyro_dps = simulate_imu(working, side, loads.soles[side])
        feet[side] = _foot_signals(
            *(
                _sample(values, working.fps, time_s)
                for values in (loads.pressure_ncm2[side], acc_g, gyro_dps)
            ),
            insole_size,
        )
    recording = InsoleRecording(
        time_s=time_s,
        left=feet["left"],
        right=feet["right"],
        insole_size=insole_size,
        metadata=_metadata(motion, mass_kg, insole_size, noise, seed, dropped),
        source=f"simulated from {motion.source or 'a motion'}",
    )
    return apply_sensor_model(recording, noise, np.random.default_rng(seed))


def _metadata(
    motion: Motion, mass_kg: float, insole_size: int, noise: str, seed: int, dropped_frames: str
) -> dict[str, str]:
    """Header fields saying that (and how) the recording was simulated."""
    source = motion.source or "unnamed motion"
    return {
        "Recording type": "simulated",
        "Name": Path(source).stem if motion.source else source,
        "Notes": f"virtual insoles simulated by step2motion {__version__} from {source}",
        "Body mass": f"{mass_kg:g} kg",
        "Size": str(insole_size),
        "Simulation noise": noise,
        "Simulation seed": str(seed),
        "Source motion": source,
        "Source frames dropped": dropped_frames,
    }
