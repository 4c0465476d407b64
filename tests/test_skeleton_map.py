"""A user's skeleton table (``--skeleton-map``): an unknown rig read through it, malformed tables refused in
one line, and joints with position channels (6 channels on every joint)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_bvh import CMU_FRAMES, Joint, _walk, bvh_text, cmu_skeleton, daz_skeleton, write_text

from step2motion.cli import main
from step2motion.errors import InputError
from step2motion.io.bvh import (
    POSITION_CHANNEL_TOLERANCE_M,
    inspect_bvh,
    read_bvh,
    read_skeleton_table,
    retarget_error_m,
)

SHIPPED = Path(__file__).resolve().parents[1] / "src" / "step2motion" / "io" / "skeleton_maps"
DAZ_FRAMES = [
    {"hip": (0, 84, 0.5 * t, 0, 0, 0), "lFoot": (0, 30 * np.sin(t / 5), 0), "rShin": (20, 0, 5)}
    for t in range(40)
]


def _rig_name(name: str) -> str:
    return f"rig:{name.upper()}_jnt"


def _renamed(root: Joint) -> Joint:
    for joint in _walk(root):
        joint.name = _rig_name(joint.name)
    return root


def _user_table(tmp_path: Path, **changes) -> Path:
    """The shipped DAZ table with every source joint renamed as ``_rig_name`` does, and ``changes``."""
    data = json.loads((SHIPPED / "daz.json").read_text(encoding="utf-8"))
    for canonical, source in data["joints"].items():
        if isinstance(source, str):
            data["joints"][canonical] = _rig_name(source)
        else:
            source["from"] = _rig_name(source["from"])
            source["to"] = source["to"] if source["to"] == "End Site" else _rig_name(source["to"])
    data["end_sites"] = {c: _rig_name(s) for c, s in data["end_sites"].items()}
    data["name"] = "my_rig"
    data.update(changes)
    path = tmp_path / "my_rig.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def rig_and_daz(tmp_path: Path) -> tuple[Path, Path]:
    """The same clip as a DAZ file and as an unknown rig (every joint renamed)."""
    daz = write_text(tmp_path, bvh_text(daz_skeleton(1.0), DAZ_FRAMES, 1 / 120, "\n"), "daz.bvh")
    frames = [{_rig_name(k): v for k, v in f.items()} for f in DAZ_FRAMES]
    rig = write_text(tmp_path, bvh_text(_renamed(daz_skeleton(1.0)), frames, 1 / 120, "\n"), "rig.bvh")
    return rig, daz


# ----------------------------------------------------------------------------------------------------
# A user's table


def test_unknown_rig_reads_with_a_user_table_as_the_shipped_table_reads_it(
    tmp_path: Path, rig_and_daz
) -> None:
    rig, daz = rig_and_daz
    with pytest.raises(
        InputError, match=r"unknown skeleton: no table in skeleton_maps/ fits.*--skeleton-map"
    ):
        read_bvh(rig)
    table = read_skeleton_table(_user_table(tmp_path))
    assert inspect_bvh(rig).matched_table is None
    assert inspect_bvh(rig, table).matched_table == "my_rig"

    mine, shipped = read_bvh(rig, table=table), read_bvh(daz)
    np.testing.assert_array_equal(mine.offsets_m, shipped.offsets_m)
    np.testing.assert_array_equal(mine.local_rotations, shipped.local_rotations)
    np.testing.assert_array_equal(mine.root_position_m, shipped.root_position_m)
    assert mine.end_sites_m.keys() == shipped.end_sites_m.keys()
    for joint, offset in shipped.end_sites_m.items():
        np.testing.assert_array_equal(mine.end_sites_m[joint], offset)
    assert max(e.max() for e in retarget_error_m(rig, table=table).values()) < 1e-6


def test_a_user_table_that_does_not_fit_names_what_it_misses(tmp_path: Path, rig_and_daz) -> None:
    _, daz = rig_and_daz
    table_path = _user_table(tmp_path)
    table = read_skeleton_table(table_path)
    summary = inspect_bvh(daz, table)  # the shipped tables are not tried when a table is given
    assert summary.matched_table is None and summary.closest_table == "my_rig"
    with pytest.raises(InputError, match=rf"table 'my_rig' \({table_path}\) does not fit.*canonical Hips"):
        read_bvh(daz, table=table)


def test_info_and_simulate_take_a_skeleton_map(tmp_path: Path, rig_and_daz, capsys) -> None:
    rig, _ = rig_and_daz
    table = _user_table(tmp_path)
    assert main(["info", str(rig), "--skeleton-map", str(table)]) == 0
    assert "canonical map: my_rig → 22 joints" in capsys.readouterr().out
    assert main(["info", str(rig)]) == 0
    assert "canonical map: none" in capsys.readouterr().out
    out = tmp_path / "rig.txt"
    assert main(["simulate", str(rig), "--skeleton-map", str(table), "-o", str(out), "--noise", "none"]) == 0
    assert out.is_file()


def _break(data: dict, how: str) -> object:
    if how == "missing key":
        del data["unit_m"]
    elif how == "unknown key":
        data["end_site"] = data.pop("end_sites")
    elif how == "unknown canonical joint":
        data["joints"]["LeftToe"] = data["joints"].pop("LeftToeBase")
    elif how == "missing canonical joint":
        del data["joints"]["Head"]
    elif how == "bad unit":
        data["unit_m"] = [0.01, -1]
    elif how == "unit not a list":
        data["unit_m"] = 0.01
    elif how == "bad fraction":
        data["joints"]["LeftToeBase"]["fraction"] = 1.5
    elif how == "bad virtual joint":
        data["joints"]["LeftToeBase"] = {"from": "lFoot", "fraction": 0.5}
    elif how == "unknown end site joint":
        data["end_sites"]["LeftToe"] = "lFoot"
    elif how == "not an object":
        return [data]
    return data


MALFORMED = {
    "missing key": "missing key\\(s\\): unit_m",
    "unknown key": "unknown key\\(s\\): end_site",
    "unknown canonical joint": "unknown canonical joint\\(s\\) in joints: LeftToe ",
    "missing canonical joint": "no source joint given for canonical Head",
    "bad unit": "bad unit: 'unit_m'",
    "unit not a list": "bad unit: 'unit_m'",
    "bad fraction": "joints.LeftToeBase: 'fraction' must be a number from 0 to 1",
    "bad virtual joint": "joints.LeftToeBase: a virtual joint has exactly the keys from, to, fraction",
    "unknown end site joint": "unknown canonical joint\\(s\\) in end_sites: LeftToe ",
    "not an object": "a skeleton table is a JSON object",
}


@pytest.mark.parametrize("how", sorted(MALFORMED))
def test_a_malformed_table_is_one_line_and_exit_2(tmp_path: Path, rig_and_daz, capsys, how: str) -> None:
    rig, _ = rig_and_daz
    data = json.loads((SHIPPED / "daz.json").read_text(encoding="utf-8"))
    table = tmp_path / "bad.json"
    table.write_text(json.dumps(_break(data, how)), encoding="utf-8")
    with pytest.raises(InputError, match=MALFORMED[how]):
        read_skeleton_table(table)
    assert main(["info", str(rig), "--skeleton-map", str(table)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"step2motion info: error: {table}: bad skeleton table: ")


def test_invalid_json_and_missing_table_file(tmp_path: Path, rig_and_daz, capsys) -> None:
    rig, _ = rig_and_daz
    table = tmp_path / "bad.json"
    table.write_text('{\n  "name": "x",\n  "unit_m": [0.01,]\n}\n', encoding="utf-8")
    for command in (["info", str(rig)], ["simulate", str(rig), "-o", str(tmp_path / "r.txt")]):
        assert main([*command, "--skeleton-map", str(table)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{table}:3: skeleton table is not valid JSON" in err
    assert (
        main(["simulate-corpus", str(tmp_path), "-o", str(tmp_path / "out"), "--skeleton-map", str(table)])
        == 2
    )
    assert f"{table}:3: skeleton table is not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(InputError, match="cannot read the skeleton table"):
        read_skeleton_table(tmp_path / "absent.json")


def test_simulate_corpus_reads_every_clip_with_the_user_table(tmp_path: Path, rig_and_daz) -> None:
    rig, _ = rig_and_daz
    table = _user_table(tmp_path)
    corpus = tmp_path / "corpus" / "s1"
    corpus.mkdir(parents=True)
    (corpus / "walk.bvh").write_bytes(rig.read_bytes())
    out = tmp_path / "out"
    args = ["simulate-corpus", str(tmp_path / "corpus"), "-o", str(out), "--jobs", "1", "--noise", "none"]
    assert main(args) == 1  # unknown skeleton without the table: the clip fails
    assert main([*args, "--skeleton-map", str(table)]) == 0
    assert (out / "s1" / "walk.txt").is_file() and (out / "s1" / "walk.bvh").is_file()


# ----------------------------------------------------------------------------------------------------
# Position channels on every joint


def _six_channel_text(
    root: Joint, frames: list[dict], moves: dict[str, tuple[int, tuple]] | None = None
) -> str:
    """``bvh_text`` with ``CHANNELS 6`` on every joint: OFFSET lines zeroed, the offsets written in each
    frame's position channels instead; ``moves``: joint → (frame, position) replacing one frame's value."""
    lines = bvh_text(root, frames, 1 / 120, "\n").splitlines()
    joints = _walk(root)
    motion_at = lines.index("MOTION")
    head = []
    for line in lines[:motion_at]:
        if "CHANNELS 3 " in line:
            line = line.replace("CHANNELS 3 ", "CHANNELS 6 Xposition Yposition Zposition ")
        elif "OFFSET" in line and "JOINT" in head[-2]:
            line = line[: line.index("OFFSET")] + "OFFSET 0 0 0"
        head.append(line)
    rows = []
    for t, row in enumerate(lines[motion_at + 3 :]):
        values = row.split()
        out = values[:6]
        for j, joint in enumerate(joints[1:]):
            position = joint.offset
            if moves and joint.name in moves and moves[joint.name][0] == t:
                position = moves[joint.name][1]
            out += [f"{v:g}" for v in position] + values[6 + 3 * j : 9 + 3 * j]
        rows.append(" ".join(out))
    return "\n".join([*head, *lines[motion_at : motion_at + 3], *rows]) + "\n"


def test_position_channels_on_every_joint_replace_the_offsets(tmp_path: Path) -> None:
    plain = write_text(tmp_path, bvh_text(cmu_skeleton(), CMU_FRAMES, 1 / 120, "\n"), "plain.bvh")
    six = write_text(tmp_path, _six_channel_text(cmu_skeleton(), CMU_FRAMES), "six.bvh")
    assert "OFFSET 0 0 0" in six.read_text() and "CHANNELS 6" in six.read_text().split("JOINT")[3]
    assert inspect_bvh(six).matched_table == "cmu"
    expected, motion = read_bvh(plain), read_bvh(six)
    np.testing.assert_allclose(motion.offsets_m, expected.offsets_m, rtol=0, atol=1e-12)
    np.testing.assert_allclose(motion.local_rotations, expected.local_rotations, rtol=0, atol=1e-12)
    np.testing.assert_allclose(motion.root_position_m, expected.root_position_m, rtol=0, atol=1e-12)
    np.testing.assert_allclose(motion.joint_positions_m(), expected.joint_positions_m(), rtol=0, atol=1e-12)
    assert max(e.max() for e in retarget_error_m(six).values()) < 1e-6


def test_position_channels_that_move_a_joint_are_refused_beyond_the_tolerance(tmp_path: Path) -> None:
    unit_m = 0.0254 / 0.45
    nudge = 0.5 * POSITION_CHANNEL_TOLERANCE_M / unit_m  # half the tolerance, in CMU units
    small = _six_channel_text(cmu_skeleton(), CMU_FRAMES, {"LeftLeg": (2, (0, -7.5 + nudge, 0))})
    plain = read_bvh(write_text(tmp_path, bvh_text(cmu_skeleton(), CMU_FRAMES, 1 / 120, "\n"), "plain.bvh"))
    np.testing.assert_allclose(read_bvh(write_text(tmp_path, small, "small.bvh")).offsets_m, plain.offsets_m)

    stretched = write_text(
        tmp_path, _six_channel_text(cmu_skeleton(), CMU_FRAMES, {"LeftLeg": (2, (0, -8.5, 0))}), "long.bvh"
    )
    with pytest.raises(InputError, match=r"joint 'LeftLeg' move it 56\.4 mm .*motion frame 3.*constant bone"):
        read_bvh(stretched)
    # the first frame read is the reference: dropping frames changes which one that is, not the check
    with pytest.raises(InputError, match="motion frame 3"):
        read_bvh(stretched, drop_first_frames=1)
    read_bvh(stretched, drop_first_frames=2)  # only the stretched frame left: a constant bone again
