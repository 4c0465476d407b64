"""Joint positions → a skeleton with constant bone lengths and local joint rotations (for BVH).

The model predicts positions only; their bone lengths wobble from frame to frame. The output skeleton
takes each bone's **median predicted length** over the clip, and a rest pose (all rotations zero) that is
close to a T-pose: legs straight down, spine above the lower back and head straight up, arms out
sideways. Bones whose shape is anatomical rather than posable keep their median predicted direction in
the heading-free frame, so the rest pose looks like the wearer: the hip joints and the lower spine from
the pelvis centre, the neck and clavicles from the chest, the feet. The children of the two joints with
several child bones must keep the wearer's shape: forcing the lower spine and the neck straight up made
the least-squares pelvis and chest rotations a compromise that moved the head and arms by ~5 cm.

Rotations, top-down: a joint with one child bone gets the shortest-arc rotation that turns the rest
bone, carried by its parent's rotation, onto the predicted bone direction (so its twist is the least
change from its parent's, and the next joint's rotation takes up any bend); a joint with several child
bones (Hips: both hips and the spine; Spine2: neck and clavicles) gets the rotation that best aligns all
of them (Kabsch, least squares), which fixes the pelvis and chest twist; a leaf joint keeps its parent's
orientation. Forward kinematics of the result puts every single-child bone exactly along its predicted
direction at its constant length.
"""

from __future__ import annotations

import numpy as np
from pymotion.rotations import quat_np as quat

from step2motion import skeleton
from step2motion.heading import heading_rad, rotate_about_y

_DOWN, _UP, _LEFT, _RIGHT = (0.0, -1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)
#: Rest direction of the bone from each joint's parent (heading-free frame: +X left, +Y up, +Z forward);
#: joints not listed keep their median predicted direction.
REST_DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "LeftLeg": _DOWN, "LeftFoot": _DOWN, "RightLeg": _DOWN, "RightFoot": _DOWN,
    "Spine1": _UP, "Spine2": _UP, "Head": _UP,
    "LeftArm": _LEFT, "LeftForeArm": _LEFT, "LeftHand": _LEFT,
    "RightArm": _RIGHT, "RightForeArm": _RIGHT, "RightHand": _RIGHT,
}  # fmt: skip
_EPS_M = 1e-9
_CHILDREN: list[list[int]] = [
    [c for c in range(skeleton.N_JOINTS) if skeleton.PARENTS[c] == j] for j in range(skeleton.N_JOINTS)
]
_IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), _EPS_M)


def rest_offsets_m(positions_m: np.ndarray) -> np.ndarray:
    """``[22, 3]`` rest offsets (module docstring) from predicted world positions ``[T, 22, 3]``."""
    bones = positions_m[:, 1:] - positions_m[:, skeleton.PARENTS[1:]]
    lengths = np.median(np.linalg.norm(bones, axis=-1), axis=0)
    heading_free = rotate_about_y(bones, -heading_rad(positions_m))
    directions = _unit(np.median(_unit(heading_free), axis=0))
    for name, direction in REST_DIRECTIONS.items():
        directions[skeleton.joint_index(name) - 1] = direction
    offsets = np.zeros((skeleton.N_JOINTS, 3))
    offsets[1:] = directions * lengths[:, None]
    return offsets


def _kabsch(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotations ``[T, 4]`` turning vectors ``rest [T, n, 3]`` onto ``target [T, n, 3]`` (least squares)."""
    covariance = np.einsum("tni,tnj->tij", rest, target)
    u, _, vt = np.linalg.svd(covariance)
    d = np.sign(np.linalg.det(np.einsum("tji,tkj->tik", vt, u)))  # det(V Uᵀ)
    correction = np.ones((rest.shape[0], 3))
    correction[:, 2] = np.where(d == 0, 1.0, d)
    rotation = np.einsum("tji,tj,tkj->tik", vt, correction, u)  # V diag(1, 1, d) Uᵀ
    return quat.from_matrix(rotation)


def shortest_arc(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotations ``[..., 4]`` turning ``rest [..., 3]`` onto ``target [..., 3]`` by the smallest angle
    (identity where either is ~0).

    Written out because pymotion's ``quat.from_to`` returns the identity whenever the cosine is within
    ``np.isclose`` of 1, i.e. for any angle under ~0.26°, which moves a 0.4-m bone's end by ~2 mm.
    """
    a, b = _unit(rest), _unit(target)
    q = np.concatenate([1.0 + np.sum(a * b, axis=-1, keepdims=True), np.cross(a, b)], axis=-1)
    opposite = q[..., 0] < 1e-9
    if opposite.any():  # half turn about any axis perpendicular to the bone
        side = np.where(np.abs(a[opposite, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
        q[opposite] = np.concatenate(
            [np.zeros_like(side[:, :1]), _unit(np.cross(a[opposite], side))], axis=-1
        )
    degenerate = (np.linalg.norm(rest, axis=-1) < _EPS_M) | (np.linalg.norm(target, axis=-1) < _EPS_M)
    q[degenerate] = _IDENTITY
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def fit_rotations(positions_m: np.ndarray, offsets_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations ``[T, 22, 4]`` and root positions ``[T, 3]`` whose forward kinematics with
    ``offsets_m`` ``[22, 3]`` follows the predicted positions ``[T, 22, 3]`` (module docstring)."""
    n_frames = positions_m.shape[0]
    global_q = np.empty((n_frames, skeleton.N_JOINTS, 4))
    local_q = np.empty((n_frames, skeleton.N_JOINTS, 4))
    world = np.broadcast_to(_IDENTITY, (n_frames, 4))
    for joint in range(skeleton.N_JOINTS):
        parent = skeleton.PARENTS[joint]
        parent_q = world if parent < 0 else global_q[:, parent]
        children = _CHILDREN[joint]
        if not children:
            global_q[:, joint] = parent_q
        else:
            rest = np.stack(
                [quat.mul_vec(parent_q, np.broadcast_to(offsets_m[c], (n_frames, 3))) for c in children], 1
            )
            target = positions_m[:, children] - positions_m[:, joint, None]
            delta = shortest_arc(rest[:, 0], target[:, 0]) if len(children) == 1 else _kabsch(rest, target)
            global_q[:, joint] = quat.normalize(quat.mul(delta, parent_q))
        local_q[:, joint] = quat.normalize(quat.mul(quat.inverse(parent_q), global_q[:, joint]))
    return quat.unroll(local_q, axis=0), positions_m[:, 0].copy()
