"""Training targets on one skeleton convention: the captured proportions replaced by reference ones.

The shared corpus mixes joint-placement conventions under the same canonical joint names: about three
quarters of its training minutes were retargeted to one generic DAZ character skeleton (hip joints 9 cm
from the root joint, a long neck, clavicle joints out at the shoulders), the rest keep the skeletons the
CMU capture calibrated on each subject (hip joints 14-15 cm from the root, clavicles at the spine). A
model trained on both draws either, and one sample drawing the other convention than the wearer's costs
about 10 cm (README). With ``reference`` proportions every bone but the legs' (thigh, shank, foot, toes:
they carry the feet whose motion the insoles recorded) is given :data:`REFERENCE_BONE_SHARES` of the
subject's own leg length, along its own rest direction; the joint rotations stay the capture's, so the
motion is the same, drawn on bones of one convention. The shares are the median over the training
subjects whose skeletons the capture calibrated (``scripts/reference_proportions.py`` derives them from
the corpus). An ablation, not the default (``configs/ablations/reference_proportions.json``; README):
the samples' spread over seeds falls, but the walks and the DAZ-skeleton subjects come out worse.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from step2motion import skeleton
from step2motion.motion import Motion

#: What training targets are drawn on: the ``captured`` skeletons, or ``reference`` proportions.
TARGET_PROPORTIONS: tuple[str, ...] = ("captured", "reference")
#: Each joint's rest offset length over the leg length (hip joint to ankle, thigh + shank), canonical order.
REFERENCE_BONE_SHARES = np.array(
    [
        0.0, 0.1661, 0.4775, 0.5195, 0.1398, 0.166, 0.4883, 0.5123, 0.1442, 0.0, 0.1391, 0.1395,
        0.1151, 0.115, 0.0, 0.2315, 0.3522, 0.2183, 0.0, 0.2367, 0.3587, 0.2242,
    ]
)  # fmt: skip
#: The joints whose offsets stay the captured ones: below the hips (the legs' bones).
_LEG_JOINTS = skeleton.joint_indices(
    ("LeftLeg", "LeftFoot", "LeftToeBase", "RightLeg", "RightFoot", "RightToeBase")
)


def with_reference_proportions(motion: Motion) -> Motion:
    """``motion`` on bones of :data:`REFERENCE_BONE_SHARES` × its leg length, legs kept (module docstring);
    a zero offset stays zero (it has no direction); end sites (toe tips) as captured."""
    offsets = motion.offsets_m.copy()
    lengths = np.linalg.norm(offsets, axis=1)
    wanted = REFERENCE_BONE_SHARES * skeleton.rest_leg_length_m(offsets)
    scale = np.divide(wanted, lengths, out=np.zeros_like(lengths), where=lengths > 0)
    scale[_LEG_JOINTS] = 1.0
    scale[skeleton.joint_index("Hips")] = 1.0
    return dataclasses.replace(motion, offsets_m=offsets * scale[:, None])
