"""The root's horizontal path and heading from foot odometry instead of the root network.

The root network integrates predicted per-frame moves open loop, so its errors add up (it walks a real
10-s walk less than half as far as the insoles' own IMUs say). The feet's odometry
(:mod:`step2motion.odometry`) measures where each foot goes, stride by stride; its pelvis path and
walking heading replace the network's forward, leftward and turning moves wherever both are known. The
vertical move stays the network's (the pelvis height is set from the planted feet afterwards anyway).
Used only when the two feet's tracks could be put in one frame (:attr:`FeetOdometry.reconciled`:
enough travel); otherwise the network's moves are kept, because then the feet say nothing reliable
about heading.

Frames: odometry is Z up (x, y horizontal, heading counter-clockwise from +x); motion is Y up with
yaw the rotation about +Y that turns +Z into the facing direction. Odometry (x, y, z) is motion
(x, z, −y), so an odometry heading ``h`` faces motion direction (cos h, −sin h) and has yaw
``atan2(cos h, −sin h)``.
"""

from __future__ import annotations

import numpy as np
import torch

from step2motion.model.root_displacement import displacement_from_trajectory
from step2motion.odometry.both_feet import track_feet
from step2motion.recording import InsoleRecording


def odometry_root_motion(
    rec: InsoleRecording, frame_time_s: np.ndarray, network_root_motion: np.ndarray
) -> np.ndarray:
    """Root moves ``[n, 4]`` (module :mod:`~step2motion.dataset.pose_features` conventions) at
    ``frame_time_s`` ``[n]`` (s on ``rec``'s clock), the network's ``[n, 4]`` where odometry has none."""
    feet = track_feet(rec)
    if not feet.reconciled:
        return network_root_motion
    pelvis = np.stack(
        [
            np.interp(frame_time_s, rec.time_s, feet.pelvis_xy_m[:, i], left=np.nan, right=np.nan)
            for i in (0, 1)
        ],
        axis=1,
    )
    heading_xy = np.stack(
        [
            np.interp(frame_time_s, rec.time_s, f(feet.heading_rad), left=np.nan, right=np.nan)
            for f in (np.cos, np.sin)
        ],
        axis=1,
    )
    known = np.isfinite(pelvis).all(axis=1) & np.isfinite(heading_xy).all(axis=1)
    if known.sum() < 2:
        return network_root_motion
    heading = np.arctan2(heading_xy[:, 1], heading_xy[:, 0])
    position = np.stack([pelvis[:, 0], np.zeros(len(pelvis)), -pelvis[:, 1]], axis=1)
    yaw = np.unwrap(np.arctan2(np.cos(heading), -np.sin(heading)))
    moves = displacement_from_trajectory(torch.as_tensor(position), torch.as_tensor(yaw)).numpy()
    # a move is known when both of its frames are
    use = known & np.concatenate([[False], known[:-1]])
    out = network_root_motion.copy()
    out[use] = np.column_stack([moves[use, 0], moves[use, 1], network_root_motion[use, 2], moves[use, 3]])
    return out
