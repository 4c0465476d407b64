"""The sole model on a steep rig: ankle joint ≈ 12 cm above the floor, ball ≈ 3–4 cm (ankle→ball ≈ 37°
below the horizontal with the foot flat, as in many commercial rigs), against the same motion on its own
rig. The sole must come out level when the foot stands flat, so the heel carries its usual share."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import standing_motion, tiptoe_motion, walking_motion

import step2motion
from step2motion import insole_layout
from step2motion.io.bvh import read_bvh
from step2motion.motion import Motion
from step2motion.recording import SIDES
from step2motion.simulation import foot_contact
from step2motion.simulation.simulate import simulate_loads

MASS_KG = 70.0
SIZE = 7
STEEP_DESCENT_DEG = 37.0


DEMO_WALK = Path(step2motion.__file__).resolve().parent / "data" / "demo" / "walk_truth.bvh"  # a CMU walk


def _steep_rig(motion: Motion, descent_deg: float = STEEP_DESCENT_DEG) -> Motion:
    """``motion`` with each ball (``ToeBase``) moved down, in the foot's frame, so that the ankle→ball line
    descends ``descent_deg`` below the floor while the foot stands flat; the ankle→ball distance along
    the floor, every joint rotation and the rest of the skeleton are kept. The root rises by the mean
    extra drop, so the balls stand about where they stood and the ankles that much higher."""
    positions, rotmats = motion.forward_kinematics()
    offsets = motion.offsets_m.copy()
    extra_drop_m = []
    for side in SIDES:
        _, toe = foot_contact.foot_joints(side)
        # the sole of the original rig, fitted from its flat-standing frames: "up" in the foot's frame
        up = foot_contact.calibrate_sole(positions, rotmats, motion.fps, side).normal_local
        ball = offsets[toe]
        along_floor = ball - (ball @ up) * up
        drop_m = np.linalg.norm(along_floor) * np.tan(np.radians(descent_deg))
        extra_drop_m.append(drop_m + ball @ up)
        offsets[toe] = along_floor - drop_m * up
    raised = motion.root_position_m + np.array([0.0, np.mean(extra_drop_m), 0.0])
    return dataclasses.replace(motion, offsets_m=offsets, root_position_m=raised)


def _heel_share(loads) -> dict[str, float]:
    """Each foot's share of its plantar impulse carried by the heel cells (1–6)."""
    areas = insole_layout.cell_areas_cm2(SIZE)
    heel = insole_layout.region_indices("heel")
    return {
        side: float((pressure[:, heel] @ areas[heel]).sum() / (pressure @ areas).sum())
        for side, pressure in loads.pressure_ncm2.items()
    }


def _descent_deg(motion: Motion, side: str) -> float:
    """Ankle→ball descent below the horizontal in the foot's calibration (flat, still) frames."""
    positions = motion.joint_positions_m()
    foot, toe = foot_contact.foot_joints(side)
    frames = foot_contact.calibration_frames(positions[:, foot], motion.fps)
    line = positions[frames, toe] - positions[frames, foot]
    return float(np.degrees(np.arcsin(-line[:, 1] / np.linalg.norm(line, axis=1))).mean())


def _sole_tilt_deg(motion: Motion, side: str) -> float:
    """Angle between the fitted sole's normal and world up, averaged over the calibration frames."""
    positions, rotmats = motion.forward_kinematics()
    foot, _ = foot_contact.foot_joints(side)
    sole = foot_contact.calibrate_sole(positions, rotmats, motion.fps, side)
    frames = foot_contact.calibration_frames(positions[:, foot], motion.fps)
    normals = rotmats[frames, foot] @ sole.normal_local
    return float(np.degrees(np.arccos(np.clip(normals[:, 1], -1.0, 1.0))).mean())


@pytest.fixture(scope="module")
def demo_walks() -> tuple[Motion, Motion]:
    walk = read_bvh(DEMO_WALK)
    return walk, _steep_rig(walk)


def test_the_steep_rig_is_steep_and_stands_where_the_original_stood(demo_walks) -> None:
    walk, steep = demo_walks
    ankle_heights, ball_heights = [], []
    for side in SIDES:
        assert _descent_deg(walk, side) < 25.0
        assert _descent_deg(steep, side) == pytest.approx(STEEP_DESCENT_DEG, abs=1.0)
        foot, toe = foot_contact.foot_joints(side)
        positions = steep.joint_positions_m()
        ankle_heights.append(positions[:, foot, 1].min())
        ball_heights.append(positions[:, toe, 1].min())
    # the CMU floor lies about at y = 0: ankles ≈ 12 cm, balls ≈ 2-4 cm up with the foot flat
    assert min(ankle_heights) > 0.09 and max(ankle_heights) < 0.14
    assert min(ball_heights) > -0.01 and max(ball_heights) < 0.05


def test_a_steep_rig_standing_flat_gets_a_level_sole(demo_walks) -> None:
    _, steep = demo_walks
    for side in SIDES:
        assert _sole_tilt_deg(steep, side) < 3.0
        # the same sole as the original rig's, in the (unchanged) foot frame
        soles = [
            foot_contact.calibrate_sole(*m.forward_kinematics(), m.fps, side).normal_local for m in demo_walks
        ]
        assert np.degrees(np.arccos(np.clip(soles[0] @ soles[1], -1.0, 1.0))) < 1.0


def test_a_steep_rig_walk_loads_the_heel_as_the_original_rig_does(demo_walks) -> None:
    walk, steep = demo_walks
    normal = _heel_share(simulate_loads(walk, MASS_KG, SIZE))
    steep_share = _heel_share(simulate_loads(steep, MASS_KG, SIZE))
    for side in SIDES:
        assert 0.3 < normal[side] < 0.7
        assert 0.3 < steep_share[side] < 0.7
        # the steep rig's foot turns about a higher joint, so its sole moves a little differently
        assert steep_share[side] == pytest.approx(normal[side], abs=0.05)


def _fixture_steep(motion: Motion, ball_drop_m: float) -> Motion:
    """A fixture motion whose balls hang ``ball_drop_m`` below the ankles (foot flat, 13 cm ahead) instead
    of 4.5 cm; the root rises by the difference, so the balls stand where they stood."""
    offsets = motion.offsets_m.copy()
    toes = [foot_contact.foot_joints(side)[1] for side in SIDES]
    raise_m = ball_drop_m + offsets[toes[0], 1]
    offsets[toes, 1] = -ball_drop_m
    raised = motion.root_position_m + np.array([0.0, raise_m, 0.0])
    return dataclasses.replace(motion, offsets_m=offsets, root_position_m=raised)


def test_a_steep_rig_standing_still_is_not_taken_for_tiptoes() -> None:
    """Quiet standing gives nothing but the standing posture: a 37° ankle→ball line still reads flat."""
    motion = _fixture_steep(standing_motion(), ball_drop_m=0.10)  # 10 cm down over 13 cm: 37.6°
    loads = simulate_loads(motion, MASS_KG, SIZE)
    for side in SIDES:
        assert _sole_tilt_deg(motion, side) < 0.5
        assert 0.5 < _heel_share(loads)[side] < 0.75  # as the normal fixture (test_simulation_forces)


def test_a_rig_steeper_still_is_flat_when_it_rocks_on_its_heel() -> None:
    """Beyond any flat-standing rig's angle (50°), a walk's heel strikes still show the foot stands flat."""
    normal = walking_motion(n_cycles=3)
    steep = _fixture_steep(normal, ball_drop_m=0.155)  # 15.5 cm down over 13 cm: 50°
    for side in SIDES:
        assert _descent_deg(steep, side) > np.degrees(foot_contact.MAX_FLAT_DESCENT_RAD)
        assert _sole_tilt_deg(steep, side) < 0.5
    normal_share = _heel_share(simulate_loads(normal, MASS_KG, SIZE))
    steep_share = _heel_share(simulate_loads(steep, MASS_KG, SIZE))
    for side in SIDES:  # the foot now turns about a joint 11 cm higher: its sole moves a little differently
        assert steep_share[side] == pytest.approx(normal_share[side], abs=0.05)


def test_a_steep_rig_on_tiptoes_still_unloads_the_heel() -> None:
    """A clip entirely on tiptoes (heels 35° up) on the steep rig: never flat, the heel stays unloaded."""
    motion = _fixture_steep(tiptoe_motion(heel_raise_deg=35.0), ball_drop_m=0.10)
    loads = simulate_loads(motion, MASS_KG, SIZE)
    for side in SIDES:
        assert np.all(loads.pressure_ncm2[side][:, insole_layout.region_indices("heel")] == 0.0)
        forefoot = insole_layout.region_indices("forefoot")
        forefoot_n = loads.pressure_ncm2[side][:, forefoot] @ insole_layout.cell_areas_cm2(SIZE)[forefoot]
        assert np.all(forefoot_n > 0.85 * loads.force_n[side])
