"""When an insole lies still on the floor: the zero-velocity moments that foot odometry integrates between.

Why three signals, not force alone: the insole's IMU sits under the mid-foot. While the heel loads after
heel strike and while the heel rises before toe-off, the foot carries weight yet the chip still moves
(it rolls with the foot), so a force-only test would reset the velocity of a moving foot and lose part
of every stride. A sample is *still* when

* the foot is loaded: total force above ``STILL_FORCE_FRACTION`` of its loaded level (95th percentile);
  a foot without force data (pressure channels missing) skips this test;
* it hardly rotates: ``|ω| < STILL_GYRO_DPS``;
* it hardly accelerates: ``| |a| − 1 g | < STILL_ACC_DEVIATION_G`` (specific force ≈ gravity).

Flicker is removed afterwards: moving runs shorter than ``MIN_MOVING_S`` inside a still stretch are taken
as still (an impact spike at heel strike is not a stride), then still runs shorter than ``MIN_STILL_S``
are dropped (one quiet sample mid-swing is not foot-flat).
"""

from __future__ import annotations

import numpy as np

from step2motion.gait_events import set_short_runs

#: A foot is loaded above this fraction of its loaded level (95th percentile of its total force).
STILL_FORCE_FRACTION = 0.05
STILL_FORCE_PERCENTILE = 95.0
#: Largest angular rate of a still foot, deg/s.
STILL_GYRO_DPS = 40.0
#: Largest deviation of the specific force from 1 g for a still foot, g.
STILL_ACC_DEVIATION_G = 0.15
#: Shorter moving runs inside stillness are still; shorter still runs are moving.
MIN_MOVING_S = 0.08
MIN_STILL_S = 0.03


def detect_still(acc_g: np.ndarray, gyro_dps: np.ndarray, force_n: np.ndarray, rate_hz: float) -> np.ndarray:
    """``[T]`` bool: True where the insole is still on the floor.

    ``acc_g`` ``[T, 3]`` (g), ``gyro_dps`` ``[T, 3]`` (deg/s), ``force_n`` ``[T]`` (N), all finite except
    ``force_n``, which may be all ``NaN`` (no pressure data: the load test is skipped).
    """
    quiet = (np.linalg.norm(gyro_dps, axis=1) < STILL_GYRO_DPS) & (
        np.abs(np.linalg.norm(acc_g, axis=1) - 1.0) < STILL_ACC_DEVIATION_G
    )
    finite_force = force_n[np.isfinite(force_n)]
    if finite_force.size:
        loaded_level = np.percentile(finite_force, STILL_FORCE_PERCENTILE)
        quiet &= np.nan_to_num(force_n, nan=0.0) > STILL_FORCE_FRACTION * loaded_level
    still = set_short_runs(quiet, False, round(MIN_MOVING_S * rate_hz))
    return set_short_runs(still, True, round(MIN_STILL_S * rate_hz))
