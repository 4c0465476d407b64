"""Whole-body centre of mass from canonical joint positions.

Why: the vertical ground reaction force comes from the centre of mass (COM) acceleration,
F = m (g + ÿ_com), so the COM must be a mass-weighted sum of segment centres.

Segment masses are de Leva's (1996, male) fractions of body mass; each segment's centre lies a fixed
fraction of the way from its proximal to its distal joint (de Leva's longitudinal COM positions).
Mapping to the canonical joints: the trunk runs from ``Neck`` (≈ C7) to the midpoint of the two hip
joints (``LeftUpLeg``/``RightUpLeg``); head + neck sit at ``Head``; the hand at ``Hand`` (the skeleton
has no fingertip); the foot halfway from ``Foot`` (ankle) to ``ToeBase`` (ball).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from step2motion import skeleton

GRAVITY_MS2 = 9.81


@dataclass(frozen=True)
class Segment:
    """A body segment: mass fraction and where its centre lies between two joints (or joint means)."""

    mass_fraction: float
    proximal: tuple[str, ...]  # joints whose mean is the proximal end
    distal: tuple[str, ...]  # joints whose mean is the distal end
    com_from_proximal: float  # 0 = proximal end, 1 = distal end


_HIP_JOINTS = ("LeftUpLeg", "RightUpLeg")


def _limb_segments(side: str) -> tuple[Segment, ...]:
    s = side.capitalize()
    return (
        Segment(0.027, (f"{s}Arm",), (f"{s}ForeArm",), 0.5772),  # upper arm
        Segment(0.016, (f"{s}ForeArm",), (f"{s}Hand",), 0.4574),  # forearm
        Segment(0.006, (f"{s}Hand",), (f"{s}Hand",), 0.0),  # hand
        Segment(0.142, (f"{s}UpLeg",), (f"{s}Leg",), 0.4095),  # thigh
        Segment(0.043, (f"{s}Leg",), (f"{s}Foot",), 0.4459),  # shank
        Segment(0.014, (f"{s}Foot",), (f"{s}ToeBase",), 0.5),  # foot
    )


#: de Leva (1996) male segment table on the canonical skeleton; the fractions sum to 1.
SEGMENTS: tuple[Segment, ...] = (
    Segment(0.069, ("Head",), ("Head",), 0.0),  # head + neck
    Segment(0.435, ("Neck",), _HIP_JOINTS, 0.4486),  # trunk
    *_limb_segments("left"),
    *_limb_segments("right"),
)


def centre_of_mass_m(joint_positions_m: np.ndarray) -> np.ndarray:
    """Whole-body COM ``[T, 3]`` (m) from canonical global joint positions ``[T, 22, 3]``."""
    com = np.zeros((*joint_positions_m.shape[:-2], 3))
    for segment in SEGMENTS:
        proximal = joint_positions_m[..., skeleton.joint_indices(segment.proximal), :].mean(axis=-2)
        distal = joint_positions_m[..., skeleton.joint_indices(segment.distal), :].mean(axis=-2)
        com += segment.mass_fraction * (proximal + segment.com_from_proximal * (distal - proximal))
    return com
