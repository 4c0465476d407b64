"""Known answers and invariants of the virtual-insole force model on synthetic motions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from motion_fixtures import (
    Gait,
    lifted_foot_motion,
    standing_motion,
    tiptoe_motion,
    walking_motion,
    with_rest_pose_blend,
)

from step2motion import insole_layout, skeleton
from step2motion.errors import InputError
from step2motion.motion import Motion
from step2motion.recording import SIDES
from step2motion.simulation import foot_contact, ground_reaction
from step2motion.simulation.body_model import GRAVITY_MS2, SEGMENTS, centre_of_mass_m
from step2motion.simulation.simulate import (
    FootLoads,
    motion_at_rate,
    settled_span,
    simulate_loads,
    simulate_recording,
)

MASS_KG = 70.0
WEIGHT_N = MASS_KG * GRAVITY_MS2
SIZE = 7


@pytest.fixture(scope="module")
def walk() -> tuple[Motion, FootLoads]:
    motion = walking_motion(n_cycles=3)
    return motion, simulate_loads(motion, MASS_KG, SIZE)


def _region_force_n(pressure_ncm2: np.ndarray, region: str) -> np.ndarray:
    cells = insole_layout.region_indices(region)
    return pressure_ncm2[:, cells] @ insole_layout.cell_areas_cm2(SIZE)[cells]


def test_segment_table_is_a_whole_body() -> None:
    assert sum(s.mass_fraction for s in SEGMENTS) == pytest.approx(1.0)
    # segment centres are convex combinations of joints: a body collapsed onto a point has its COM there
    point = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(
        centre_of_mass_m(np.tile(point, (2, 22, 1))), np.tile(point, (2, 1)), atol=1e-12
    )


def test_vertical_force_follows_newton_and_never_pulls() -> None:
    acc = np.zeros((3, 3))
    acc[:, 1] = [0.0, 0.5 * GRAVITY_MS2, -1.5 * GRAVITY_MS2]  # still, pushed up, falling faster than g
    np.testing.assert_allclose(
        ground_reaction.vertical_force_n(acc, MASS_KG), [WEIGHT_N, 1.5 * WEIGHT_N, 0.0]
    )


def test_zmp_share_puts_the_force_under_the_zmp() -> None:
    left, right = np.array([[0.0, 0.0]] * 4), np.array([[1.0, 0.0]] * 4)
    zmp = np.array([[0.0, 0.3], [0.25, 0.0], [1.0, -0.2], [-0.5, 0.0]])
    np.testing.assert_allclose(ground_reaction.left_share_from_zmp(zmp, left, right), [1.0, 0.75, 0.0, 1.0])


def test_standing_feet_carry_body_weight_evenly() -> None:
    loads = simulate_loads(standing_motion(), MASS_KG, SIZE)
    total = loads.force_n["left"] + loads.force_n["right"]
    np.testing.assert_allclose(total, WEIGHT_N, rtol=0.03)
    np.testing.assert_allclose(loads.force_n["left"], loads.force_n["right"], rtol=0.02)


def test_flat_standing_loads_heel_and_metatarsals_not_the_arch() -> None:
    pressure = simulate_loads(standing_motion(), MASS_KG, SIZE).pressure_ncm2["left"][0]
    medial_arch = 7 - 1
    heel, metatarsal = (pressure[insole_layout.region_indices(r)].mean() for r in ("heel", "metatarsal"))
    assert heel > pressure[medial_arch] * 5 and metatarsal > pressure[medial_arch] * 5
    assert heel > metatarsal  # quiet standing puts more weight on the rearfoot


def _region_shares(pressure_ncm2: np.ndarray) -> dict[str, float]:
    """Share of the (summed over frames) foot force carried by each region."""
    total = _region_force_n(pressure_ncm2, "heel") + _region_force_n(pressure_ncm2, "midfoot")
    total = total + _region_force_n(pressure_ncm2, "forefoot")
    return {r: float(_region_force_n(pressure_ncm2, r).sum() / total.sum()) for r in insole_layout.REGIONS}


def test_quiet_standing_puts_most_of_the_load_on_the_heel_and_little_on_the_toes() -> None:
    """Real quiet stance (the OpenGo exports): heel 52-65 %, toes 9-15 % of each foot's force; a foot
    standing on a vertical shank, as the fixture does, leans back a little more."""
    for side in SIDES:
        shares = _region_shares(simulate_loads(standing_motion(), MASS_KG, SIZE).pressure_ncm2[side])
        assert 0.5 < shares["heel"] < 0.75
        assert 0.03 < shares["toes"] < 0.15
        assert shares["metatarsal"] > shares["toes"]


def test_a_partly_raised_heel_hands_the_load_to_the_forefoot() -> None:
    """Heel 10° up (its pad ≈ 3 cm off the floor): the forefoot rocker. A shank-fixed roll-over target
    alone would keep the centre of pressure behind the ball and reload the lifting heel (31 %)."""
    loads = simulate_loads(tiptoe_motion(seconds=1.5, heel_raise_deg=10.0, flat_s=0.5), MASS_KG, SIZE)
    raised = slice(-round(0.5 * loads.force_n["left"].size / 1.5), None)
    for side in SIDES:
        pressure = loads.pressure_ncm2[side][raised]
        assert np.all(_region_force_n(pressure, "heel") < 0.1 * loads.force_n[side][raised])
        assert np.all(insole_layout.centre_of_pressure_norm(pressure, SIZE)[:, 0] > foot_contact.X_BALL_NORM)


def test_medial_cells_of_both_feet_face_the_midline() -> None:
    motion = standing_motion(seconds=0.2)
    positions, rotmats = motion.forward_kinematics()
    medial = insole_layout.CELL_CENTROIDS_NORM[:, 1] > 0
    for side, midline_direction in (("left", -1.0), ("right", 1.0)):  # the left foot stands at +X
        sole = foot_contact.calibrate_sole(positions, rotmats, motion.fps, side)
        cells_x = foot_contact.cell_positions_m(positions, rotmats, sole)[0, :, 0]
        assert midline_direction * (cells_x[medial].mean() - cells_x[~medial].mean()) > 0.03


def test_insole_axis_runs_from_under_the_ankle_toward_the_toes() -> None:
    motion = standing_motion(seconds=0.2)
    positions, rotmats = motion.forward_kinematics()
    sole = foot_contact.calibrate_sole(positions, rotmats, motion.fps, "left")
    ankle = positions[:, skeleton.joint_index("LeftFoot")][:, [0, 2]]
    ahead = ankle + np.array([0.0, sole.length_m])  # the fixture faces +Z
    x_norm = [foot_contact.insole_x_norm(p, positions, rotmats, sole) for p in (ankle, ahead)]
    np.testing.assert_allclose(x_norm[0], foot_contact.X_ANKLE_NORM, atol=1e-9)
    np.testing.assert_allclose(x_norm[1], foot_contact.X_ANKLE_NORM + 1.0, atol=1e-9)


def test_a_foot_whose_markers_sit_higher_still_carries_its_share() -> None:
    motion = standing_motion()
    offsets = motion.offsets_m.copy()
    offsets[skeleton.joint_index("LeftFoot"), 1] += 0.03  # a shorter left shank: its sole floats 3 cm
    loads = simulate_loads(dataclasses.replace(motion, offsets_m=offsets), MASS_KG, SIZE)
    np.testing.assert_allclose(loads.force_n["left"], 0.5 * WEIGHT_N, rtol=0.05)
    np.testing.assert_allclose(loads.force_n["right"], 0.5 * WEIGHT_N, rtol=0.05)


def test_a_foot_lifted_high_carries_nothing() -> None:
    loads = simulate_loads(lifted_foot_motion(lifted_side="right"), MASS_KG, SIZE)
    assert np.all(loads.force_n["right"] == 0.0)
    assert np.all(loads.pressure_ncm2["right"] == 0.0)
    np.testing.assert_allclose(loads.force_n["left"], WEIGHT_N, rtol=0.03)


def test_rising_onto_tiptoes_loads_only_forefoot_and_toes() -> None:
    motion = tiptoe_motion(seconds=1.5, heel_raise_deg=35.0, flat_s=0.5)
    loads = simulate_loads(motion, MASS_KG, SIZE)
    recording = simulate_recording(motion, MASS_KG, SIZE, rate_hz=motion.fps, noise="none")
    flat, tiptoes = slice(0, 40), slice(round(0.8 * motion.fps), None)
    rearfoot = insole_layout.region_indices("rearfoot")
    for side in SIDES:
        pressure = loads.pressure_ncm2[side]
        assert np.all(_region_force_n(pressure[flat], "heel") > 0.3 * loads.force_n[side][flat])
        assert np.all(pressure[tiptoes][:, insole_layout.region_indices("heel")] == 0.0)
        # the medial arch, 1.8 cm up, keeps a trace (< 1 %) that the sensor's threshold removes
        assert np.all(_region_force_n(pressure[tiptoes], "midfoot") < 0.01 * loads.force_n[side][tiptoes])
        assert np.all(recording.foot(side).pressure_ncm2[tiptoes][:, rearfoot] == 0.0)
        assert np.all(recording.foot(side).pressure_ncm2[tiptoes][:, 13] > 0.0)  # hallux


def test_a_clip_entirely_on_tiptoes_still_unloads_the_heel() -> None:
    loads = simulate_loads(tiptoe_motion(heel_raise_deg=35.0), MASS_KG, SIZE)
    for side in SIDES:
        pressure = loads.pressure_ncm2[side]
        assert np.all(pressure[:, insole_layout.region_indices("heel")] == 0.0)
        # never standing flat, the clip's sole is calibrated with the steepest plausible ankle→ball line
        assert np.all(_region_force_n(pressure, "forefoot") > 0.85 * loads.force_n[side])


def test_cell_forces_add_up_to_the_foot_force(walk: tuple[Motion, FootLoads]) -> None:
    _, loads = walk
    for side in SIDES:
        summed = insole_layout.total_force_n(loads.pressure_ncm2[side], SIZE)
        np.testing.assert_allclose(summed, loads.force_n[side], rtol=1e-9, atol=1e-9)
        assert np.all(loads.pressure_ncm2[side] >= 0.0)


def _support_states(loads: FootLoads) -> np.ndarray:
    """Per frame: 0 flight, 1 left only, 2 right only, 3 both (a foot counts above 5 % body weight)."""
    left = loads.force_n["left"] > 0.05 * WEIGHT_N
    right = loads.force_n["right"] > 0.05 * WEIGHT_N
    return left.astype(int) + 2 * right.astype(int)


def test_walking_alternates_single_and_double_support(walk: tuple[Motion, FootLoads]) -> None:
    _, loads = walk
    states = _support_states(loads)
    changes = states[np.flatnonzero(np.diff(states)) + 1]
    runs = np.concatenate([[states[0]], changes])
    assert 0 not in runs  # walking never leaves the floor
    assert set(runs) == {1, 2, 3}
    assert np.all((runs[1:] == 3) != (runs[:-1] == 3))  # single and double support alternate
    singles = runs[runs != 3]
    assert np.all(singles[1:] != singles[:-1])  # left and right single supports alternate


def test_walking_contacts_start_and_end_at_the_true_events(walk: tuple[Motion, FootLoads]) -> None:
    motion, loads = walk
    gait = Gait()
    for side, phase in (("left", 0.0), ("right", 0.5)):
        change = np.diff((loads.force_n[side] > 0.05 * WEIGHT_N).astype(int))
        starts_s, ends_s = ((np.flatnonzero(change == sign) + 1) / motion.fps for sign in (1, -1))
        true_strikes_s = (np.arange(-1, 4) + phase) * gait.cycle_s
        true_toe_offs_s = true_strikes_s + gait.toe_off * gait.cycle_s
        assert len(starts_s) >= 2 and len(ends_s) >= 2
        for start in starts_s:  # the load ramps in over the last centimetres of the swing: 0-50 ms early
            assert np.any((true_strikes_s - start >= 0.0) & (true_strikes_s - start <= 0.05))
        for end in ends_s:  # and out while the toes peel off the floor: 0-80 ms late
            assert np.any((end - true_toe_offs_s >= 0.0) & (end - true_toe_offs_s <= 0.08))


def test_walking_mean_force_over_whole_cycles_is_body_weight(walk: tuple[Motion, FootLoads]) -> None:
    motion, loads = walk
    cycle_frames = round(Gait().cycle_s * motion.fps)
    whole = slice(cycle_frames // 2, cycle_frames // 2 + 2 * cycle_frames)  # two cycles away from the ends
    total = loads.force_n["left"][whole] + loads.force_n["right"][whole]
    assert total.mean() == pytest.approx(WEIGHT_N, rel=0.10)


def test_walking_stance_force_has_a_double_hump(walk: tuple[Motion, FootLoads]) -> None:
    motion, loads = walk
    cycle_frames = round(Gait().cycle_s * motion.fps)
    stance = loads.force_n["left"][cycle_frames : 2 * cycle_frames] / WEIGHT_N
    stance = stance[stance > 0.05]
    third = len(stance) // 3
    first_peak, valley, second_peak = stance[:third].max(), stance[third:-third].min(), stance[-third:].max()
    assert first_peak > valley + 0.15 and second_peak > valley + 0.15


def test_heel_strike_loads_the_heel_first(walk: tuple[Motion, FootLoads]) -> None:
    motion, loads = walk
    for side in SIDES:
        loaded = loads.force_n[side] > 0.02 * WEIGHT_N
        strikes = np.flatnonzero(loaded[1:] & ~loaded[:-1]) + 1
        assert len(strikes) >= 2
        for frame in strikes:
            early = slice(frame, frame + round(0.05 * motion.fps))
            pressure = loads.pressure_ncm2[side][early]
            heel = _region_force_n(pressure, "heel")
            assert np.all(heel > 0.9 * loads.force_n[side][early])


def test_a_raised_floor_changes_nothing(walk: tuple[Motion, FootLoads]) -> None:
    motion, loads = walk
    raised_m = motion.root_position_m + np.array([0.0, 0.05, 0.0])  # DAZ-like clips float 4-6 cm
    floating = dataclasses.replace(motion, root_position_m=raised_m)
    lifted = simulate_loads(floating, MASS_KG, SIZE)
    for side in SIDES:
        np.testing.assert_allclose(lifted.force_n[side], loads.force_n[side], atol=1e-6)


def test_recording_covers_the_motion_at_the_rate() -> None:
    motion = walking_motion(n_cycles=2, fps=120.0)
    recording = simulate_recording(motion, mass_kg=MASS_KG, rate_hz=100.0, noise="none", seed=3)
    assert recording.n_samples == round(motion.duration_s * 100.0)
    assert recording.duration_s == pytest.approx(motion.duration_s, abs=0.005)
    paired = motion_at_rate(motion, 100.0)
    assert paired.n_frames == recording.n_samples and paired.fps == 100.0
    assert recording.rate_hz == pytest.approx(100.0)
    assert recording.insole_size == SIZE
    assert recording.metadata["Body mass"] == "70 kg"
    for side in SIDES:
        foot = recording.foot(side)
        summed = insole_layout.total_force_n(foot.pressure_ncm2, SIZE)
        np.testing.assert_allclose(foot.total_force_n, summed, atol=0.5)  # exported in whole newtons
        assert np.all(np.abs(foot.cop_norm) <= 0.5)
        assert np.all(np.isfinite(foot.acc_g))
    mean_total = np.mean(recording.left.total_force_n + recording.right.total_force_n)
    assert mean_total == pytest.approx(WEIGHT_N, rel=0.10)


def test_a_blend_in_from_the_rest_pose_is_not_simulated() -> None:
    """DAZ-style clips sweep from the rest pose into the motion over their first frames (hands at
    12-26 m/s): those frames are dropped from the recording and from the paired motion alike."""
    motion = walking_motion(n_cycles=2)
    assert settled_span(motion) == (0, motion.n_frames)
    blended = with_rest_pose_blend(motion, n_frames=4)
    start, stop = settled_span(blended)
    assert 4 <= start <= 5 and stop == blended.n_frames
    recording = simulate_recording(blended, MASS_KG, SIZE, rate_hz=motion.fps, noise="none")
    assert recording.metadata["Source frames dropped"] == f"{start} at the start, 0 at the end"
    assert motion_at_rate(blended, motion.fps).n_frames == recording.n_samples == blended.n_frames - start
    for side in SIDES:
        assert np.abs(recording.foot(side).acc_g).max() < 4.0
        assert np.abs(recording.foot(side).gyro_dps).max() < 500.0


def test_slow_motion_is_upsampled_to_the_rate() -> None:
    motion = standing_motion(seconds=1.0, fps=30.0)
    recording = simulate_recording(motion, rate_hz=100.0, noise="none")
    assert recording.n_samples == 100
    total = recording.left.total_force_n + recording.right.total_force_n
    np.testing.assert_allclose(total, WEIGHT_N, rtol=0.03)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mass_kg": 10.0}, "body mass"),
        ({"insole_size": 42}, "insole size"),
        ({"rate_hz": 0.0}, "sample rate"),
        ({"noise": "loud"}, "noise"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        simulate_recording(standing_motion(seconds=0.1), **kwargs)


def test_too_short_a_motion_is_an_input_error() -> None:
    motion = standing_motion(seconds=0.03)
    with pytest.raises(InputError, match="at least"):
        simulate_recording(motion)
