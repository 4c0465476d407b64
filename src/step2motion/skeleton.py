"""The canonical 22-joint skeleton that every motion is mapped onto.

It is the joint set of the Step2Motion paper. Joints are addressed by name through this module,
never by magic index elsewhere. Conventions: metres, Y up, quaternions ``[w, x, y, z]`` (pymotion's).
"""

from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "Hips",
    "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase",
    "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase",
    "Spine", "Spine1", "Spine2", "Neck", "Head",
    "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand",
    "RightShoulder", "RightArm", "RightForeArm", "RightHand",
)  # fmt: skip

_PARENT_NAMES: dict[str, str | None] = {
    "Hips": None,
    "LeftUpLeg": "Hips", "LeftLeg": "LeftUpLeg", "LeftFoot": "LeftLeg", "LeftToeBase": "LeftFoot",
    "RightUpLeg": "Hips", "RightLeg": "RightUpLeg", "RightFoot": "RightLeg", "RightToeBase": "RightFoot",
    "Spine": "Hips", "Spine1": "Spine", "Spine2": "Spine1", "Neck": "Spine2", "Head": "Neck",
    "LeftShoulder": "Spine2", "LeftArm": "LeftShoulder", "LeftForeArm": "LeftArm", "LeftHand": "LeftForeArm",
    "RightShoulder": "Spine2", "RightArm": "RightShoulder", "RightForeArm": "RightArm",
    "RightHand": "RightForeArm",
}  # fmt: skip

N_JOINTS = len(JOINT_NAMES)

#: Parent index per joint; the root's parent is -1.
PARENTS: np.ndarray = np.array(
    [-1 if _PARENT_NAMES[n] is None else JOINT_NAMES.index(_PARENT_NAMES[n]) for n in JOINT_NAMES]
)

#: Joints of the pose targets and the denoiser's pose tensor: every joint but the root, in order.
POSE_JOINT_NAMES: tuple[str, ...] = tuple(
    name for name, parent in zip(JOINT_NAMES, PARENTS, strict=True) if parent >= 0
)

_LEFT_LEG = ("LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase")
_RIGHT_LEG = ("RightUpLeg", "RightLeg", "RightFoot", "RightToeBase")

#: Body-part token groups of the Step2Motion denoiser (the root is modelled separately).
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "left_leg": _LEFT_LEG,
    "right_leg": _RIGHT_LEG,
    "body": tuple(n for n in JOINT_NAMES[1:] if n not in _LEFT_LEG + _RIGHT_LEG),
}

#: End sites that carry geometry the simulator needs (toe tips), keyed by the joint they hang from.
TOE_TIP_PARENTS: dict[str, str] = {"left": "LeftToeBase", "right": "RightToeBase"}


def joint_index(name: str) -> int:
    """Index of a canonical joint by name (raises ``KeyError`` naming the joint)."""
    try:
        return JOINT_NAMES.index(name)
    except ValueError:
        raise KeyError(f"{name!r} is not a canonical joint") from None


def joint_indices(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Indices of several canonical joints, in the given order."""
    return np.array([joint_index(n) for n in names], dtype=int)


#: Each leg's hip, knee and ankle joints: thigh + shank is the leg length (hip joint to ankle joint) that
#: sets a body's size (the wearer's height, the proportions of training targets).
LEG_CHAINS: tuple[np.ndarray, ...] = tuple(joint_indices(leg[:3]) for leg in (_LEFT_LEG, _RIGHT_LEG))


def rest_leg_length_m(offsets_m: np.ndarray) -> float:
    """Mean thigh + shank length of both legs of a skeleton's rest offsets ``[22, 3]``."""
    return float(np.mean([np.linalg.norm(offsets_m[chain[1:]], axis=1).sum() for chain in LEG_CHAINS]))


#: Leg length (hip joint to ankle joint) over standing height: the hip joint's height minus the ankle
#: joint's, 0.530 - 0.039 of it (Drillis and Contini's segment proportions, as tabulated in Winter,
#: *Biomechanics and Motor Control of Human Movement*): an average adult's.
LEG_PER_STATURE = 0.530 - 0.039


def stature_m(offsets_m: np.ndarray) -> float:
    """The standing height whose legs, at :data:`LEG_PER_STATURE` of it, are a skeleton's rest offsets'
    ``[22, 3]`` (how tall a user would say its wearer is)."""
    return rest_leg_length_m(offsets_m) / LEG_PER_STATURE
