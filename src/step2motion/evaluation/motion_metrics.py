"""How far a reconstructed motion is from the truth: pose, velocity, smoothness, root path, feet, samples.

Why one module: every experiment (validation during training, the test report, ablations) must compute
each number the same way, so each metric is defined here once, with its formula and unit.

Conventions:

* Inputs are world joint positions ``[T, 22, 3]`` in metres (canonical order
  :data:`step2motion.skeleton.JOINT_NAMES`, joint 0 = Hips = root, Y up) of a prediction and of the
  ground truth on the same frames, sampled at ``fps`` Hz.
* Pose metrics are **root-relative** (joint minus Hips, per frame) over the 21 non-root joints unless a
  joint subset is given: legs = the 8 joints of both legs (UpLeg, Leg, Foot, ToeBase), upper body = the
  other 13. They are means over frames and joints of Euclidean distances.
* Derivatives are plain finite differences (first difference × fps, third difference × fps³), so numbers
  depend on the frame rate: compare runs at the same rate (30 Hz in Step2Motion).
* Horizontal means the X–Z plane. Headings come from the hip line
  (:func:`step2motion.dataset.pose_features.heading_rad`).
* A metric that is undefined for a clip (no loaded frames, too short a path) is ``NaN``; the aggregation
  helpers skip it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.spatial.transform import Rotation

from step2motion import skeleton
from step2motion.heading import heading_rad, rotate_about_y
from step2motion.recording import SIDES

CM_PER_M = 100.0
ROOT = skeleton.joint_index("Hips")
#: Joint subsets (canonical indices) of the pose metrics.
NON_ROOT_JOINTS: np.ndarray = np.array([j for j in range(skeleton.N_JOINTS) if j != ROOT])
LEG_JOINTS: np.ndarray = skeleton.joint_indices(
    skeleton.BODY_PARTS["left_leg"] + skeleton.BODY_PARTS["right_leg"]
)
UPPER_JOINTS: np.ndarray = skeleton.joint_indices(skeleton.BODY_PARTS["body"])
#: Joints whose slowest one is the planted point of a foot (ankle over the heel, ball), per side.
FOOT_JOINTS: dict[str, np.ndarray] = {
    side: skeleton.joint_indices((f"{side.title()}Foot", f"{side.title()}ToeBase")) for side in SIDES
}
_HORIZONTAL = [0, 2]

#: Root-path windows: the published 100-frame window at 30 Hz.
ROOT_WINDOW_S = 100 / 30
#: Drift per metre is undefined for clips whose true root travels less than this (standing, balancing).
MIN_DRIFT_PATH_M = 1.0
#: The initial direction of travel: from frame 0 to the first frame where the true root is this far away.
INITIAL_TRAVEL_M = 0.5
#: Motion contacts: a foot joint is planted when within this height of its floor level and this slow.
#: Pressure contacts include heel strike and push-off, when the slower foot joint still moves: on true
#: CMU motion at 30 Hz against stance from its simulated insoles (noise off), F1 is 0.81–0.97 on six
#: walks, 0.68–0.84 on two runs, ≥ 0.95 on stand, turn, dance and balance clips at these values; at
#: 0.3 m/s four of the walks drop to 0.71–0.86. (The simulator's contact model also uses height and
#: speed: a consistency check only.)
CONTACT_HEIGHT_M = 0.05
CONTACT_SPEED_M_S = 0.8
#: Floor level of a foot joint type: this percentile of its height, pooled over both feet and all frames.
CONTACT_FLOOR_PERCENTILE = 5.0


def _check_positions(positions_m: np.ndarray, what: str = "positions") -> np.ndarray:
    positions_m = np.asarray(positions_m, dtype=float)
    if positions_m.ndim != 3 or positions_m.shape[1:] != (skeleton.N_JOINTS, 3):
        raise ValueError(f"{what} must be [T, {skeleton.N_JOINTS}, 3], got {positions_m.shape}")
    return positions_m


def _check_pair(pred_m: np.ndarray, true_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred_m, true_m = _check_positions(pred_m, "prediction"), _check_positions(true_m, "ground truth")
    if pred_m.shape != true_m.shape:
        raise ValueError(f"prediction {pred_m.shape} and ground truth {true_m.shape} differ in shape")
    return pred_m, true_m


def root_relative(positions_m: np.ndarray) -> np.ndarray:
    """``[..., T, 22, 3]`` positions minus the Hips position of the same frame (the root becomes 0)."""
    return positions_m - positions_m[..., ROOT : ROOT + 1, :]


def _mean_distance_cm(a_m: np.ndarray, b_m: np.ndarray, joints: np.ndarray) -> float:
    return float(np.linalg.norm(a_m[:, joints] - b_m[:, joints], axis=-1).mean() * CM_PER_M)


def joint_errors_cm(pred_m: np.ndarray, true_m: np.ndarray) -> np.ndarray:
    """``[T, 22]`` root-relative position error per frame and joint (cm; the root column is 0): the terms
    whose mean over frames and non-root joints is :func:`mpjpe_cm` (for per-joint and over-time plots)."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    return np.linalg.norm(root_relative(pred_m) - root_relative(true_m), axis=-1) * CM_PER_M


def mpjpe_cm(pred_m: np.ndarray, true_m: np.ndarray, joints: np.ndarray = NON_ROOT_JOINTS) -> float:
    """Mean per-joint position error, root-relative, in cm:
    ``100 · mean_{t, j∈joints} ‖(p_tj − p_t0) − (g_tj − g_t0)‖`` (``p`` prediction, ``g`` truth, 0 = Hips)."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    return _mean_distance_cm(root_relative(pred_m), root_relative(true_m), joints)


def heading_aligned(pred_m: np.ndarray, true_m: np.ndarray) -> np.ndarray:
    """Root-relative prediction ``[T, 22, 3]`` turned per frame about the vertical through the root by the
    angle that best fits the root-relative truth (least squares over the 21 non-root joints).

    With ``A = Σ_j (g_x p_x + g_z p_z)`` and ``B = Σ_j (g_x p_z − g_z p_x)`` the best angle is
    ``atan2(B, A)`` (:func:`~step2motion.dataset.pose_features.rotate_about_y` convention)."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    p, g = root_relative(pred_m)[:, NON_ROOT_JOINTS], root_relative(true_m)[:, NON_ROOT_JOINTS]
    a = np.sum(g[..., 0] * p[..., 0] + g[..., 2] * p[..., 2], axis=1)
    b = np.sum(g[..., 0] * p[..., 2] - g[..., 2] * p[..., 0], axis=1)
    return rotate_about_y(root_relative(pred_m), np.arctan2(b, a))


def mpjpe_heading_aligned_cm(
    pred_m: np.ndarray, true_m: np.ndarray, joints: np.ndarray = NON_ROOT_JOINTS
) -> float:
    """:func:`mpjpe_cm` (cm) after :func:`heading_aligned`: the pose error that heading does not explain."""
    return _mean_distance_cm(heading_aligned(pred_m, true_m), root_relative(_check_positions(true_m)), joints)


def procrustes_aligned(pred_m: np.ndarray, true_m: np.ndarray) -> np.ndarray:
    """Prediction ``[T, 22, 3]`` after the per-frame similarity transform (rotation, uniform scale,
    translation; no reflection) that best fits the truth over all 22 joints (least squares).

    Per frame, with centred point sets ``P``, ``G``: ``R`` from ``scipy``'s ``Rotation.align_vectors``
    (Kabsch), scale ``s = Σ G·(R P) / Σ ‖P‖²``, result ``s R P + mean(G)``."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    pred_c = pred_m - pred_m.mean(axis=1, keepdims=True)
    true_mean = true_m.mean(axis=1, keepdims=True)
    true_c = true_m - true_mean
    aligned = np.empty_like(pred_m)
    for t in range(pred_m.shape[0]):
        rotated = Rotation.align_vectors(true_c[t], pred_c[t])[0].apply(pred_c[t])
        norm_sq = np.sum(pred_c[t] ** 2)
        scale = np.sum(true_c[t] * rotated) / norm_sq if norm_sq > 0 else 1.0
        aligned[t] = scale * rotated
    return aligned + true_mean


def pa_mpjpe_cm(pred_m: np.ndarray, true_m: np.ndarray, joints: np.ndarray = NON_ROOT_JOINTS) -> float:
    """Procrustes-aligned MPJPE in cm: ``100 · mean_{t, j∈joints} ‖a_tj − g_tj‖`` with ``a`` the output of
    :func:`procrustes_aligned` (the error in body shape and pose alone)."""
    return _mean_distance_cm(procrustes_aligned(pred_m, true_m), _check_positions(true_m), joints)


def mpjve_cm_s(
    pred_m: np.ndarray, true_m: np.ndarray, fps: float, joints: np.ndarray = NON_ROOT_JOINTS
) -> float:
    """Mean per-joint velocity error of root-relative positions, in cm/s:
    ``100 · mean_{t, j} ‖fps·Δp_tj − fps·Δg_tj‖`` with ``Δx_t = x_{t+1} − x_t`` (NaN below 2 frames)."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    if pred_m.shape[0] < 2:
        return math.nan
    velocity = [np.diff(root_relative(x), axis=0) * fps for x in (pred_m, true_m)]
    return _mean_distance_cm(*velocity, joints)


def jitter_m_s3(positions_m: np.ndarray, fps: float) -> float:
    """Mean jerk magnitude of all 22 joints (world positions), in m/s³:
    ``mean_{t, j} ‖Δ³x_tj‖ · fps³`` (third forward difference; NaN below 4 frames). Report the truth's
    value beside a prediction's: mocap has jitter of its own."""
    positions_m = _check_positions(positions_m)
    if positions_m.shape[0] < 4:
        return math.nan
    return float(np.linalg.norm(np.diff(positions_m, n=3, axis=0), axis=-1).mean() * fps**3)


def _aligned_root_path(
    pred_m: np.ndarray, true_m: np.ndarray, start: int, stop: int, turn_rad: float | None = None
) -> np.ndarray:
    """Horizontal root error ``[stop − start]`` (m) after moving the predicted root path so that, at frame
    ``start``, its position equals the truth's, and turning it by ``turn_rad`` about the vertical (None: so
    that its hip heading there equals the truth's)."""
    if turn_rad is None:
        turn = heading_rad(true_m[start : start + 1]) - heading_rad(pred_m[start : start + 1])
    else:
        turn = np.array([turn_rad])
    path = pred_m[start:stop, ROOT] - pred_m[start, ROOT]
    path = rotate_about_y(path[None], turn)[0] + true_m[start, ROOT]
    return np.linalg.norm((path - true_m[start:stop, ROOT])[:, _HORIZONTAL], axis=-1)


def root_window_error_m(pred_m: np.ndarray, true_m: np.ndarray, window_frames: int) -> float:
    """Root trajectory error in m: the clip is cut into consecutive windows of ``window_frames`` frames
    (the last may be shorter); each window's predicted root path is aligned to the truth at its first
    frame (position and heading); the result is the mean horizontal root distance over all frames."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    if window_frames < 1:
        raise ValueError(f"window_frames must be ≥ 1, got {window_frames}")
    n = pred_m.shape[0]
    errors = [
        _aligned_root_path(pred_m, true_m, s, min(s + window_frames, n)) for s in range(0, n, window_frames)
    ]
    return float(np.concatenate(errors).mean())


def root_drift_m_per_m(pred_m: np.ndarray, true_m: np.ndarray) -> float:
    """End-point drift per metre walked (m/m): after aligning the predicted root path to the truth at
    frame 0 (position and heading), the horizontal root distance at the last frame divided by the true
    root's horizontal path length ``Σ_t ‖Δg_t‖``; NaN when that path is shorter than
    :data:`MIN_DRIFT_PATH_M` (standing)."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    path_m = _root_path_length_m(true_m)
    if path_m < MIN_DRIFT_PATH_M:
        return math.nan
    return float(_aligned_root_path(pred_m, true_m, 0, pred_m.shape[0])[-1] / path_m)


def root_drift_turned_m_per_m(pred_m: np.ndarray, true_m: np.ndarray, turn_rad: float) -> float:
    """:func:`root_drift_m_per_m` with the predicted path turned by ``turn_rad`` about the vertical (after
    moving its frame-0 root onto the truth's) instead of aligned on the hips, e.g. to ask how far a walk
    drifts when its body is told an angle that insoles cannot measure."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    path_m = _root_path_length_m(true_m)
    if path_m < MIN_DRIFT_PATH_M:
        return math.nan
    return float(_aligned_root_path(pred_m, true_m, 0, pred_m.shape[0], turn_rad)[-1] / path_m)


def root_drift_travel_aligned_m_per_m(pred_m: np.ndarray, true_m: np.ndarray) -> float:
    """:func:`root_drift_m_per_m` with the predicted path turned so that its initial direction of travel
    matches the truth's, instead of its frame-0 hip heading: both directions run from frame 0 to the first
    frame where the true root is :data:`INITIAL_TRAVEL_M` away. Why: the hips face a few degrees off the
    walking direction and swing within a stride, which insoles cannot see, so the frame-0 alignment charges
    the whole clip with that angle; this one measures the drift of the path itself. NaN where
    :func:`root_drift_m_per_m` is, or where the prediction has not moved by that frame."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    true_root, pred_root = true_m[:, ROOT, _HORIZONTAL], pred_m[:, ROOT, _HORIZONTAL]
    path_m = _root_path_length_m(true_m)
    away = np.flatnonzero(np.linalg.norm(true_root - true_root[0], axis=-1) >= INITIAL_TRAVEL_M)
    if path_m < MIN_DRIFT_PATH_M or not away.size:
        return math.nan
    true_step, pred_step = true_root[away[0]] - true_root[0], pred_root[away[0]] - pred_root[0]
    if np.linalg.norm(pred_step) < 1e-6:
        return math.nan
    # a turn by θ about +Y adds θ to the yaw atan2(x, z) of a horizontal (x, z) direction
    turn = float(np.arctan2(true_step[0], true_step[1]) - np.arctan2(pred_step[0], pred_step[1]))
    return root_drift_turned_m_per_m(pred_m, true_m, turn)


def root_path_ratio(pred_m: np.ndarray, true_m: np.ndarray) -> float:
    """Horizontal root path length of the prediction over the truth's (1 = walks as far; below 1 the
    motion shuffles); NaN when the true path is shorter than :data:`MIN_DRIFT_PATH_M` (standing)."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    true_path_m = _root_path_length_m(true_m)
    return math.nan if true_path_m < MIN_DRIFT_PATH_M else _root_path_length_m(pred_m) / true_path_m


def _root_path_length_m(positions_m: np.ndarray) -> float:
    """Horizontal length (m) of the root's path ``Σ_t ‖Δroot_t‖`` of positions ``[T, 22, 3]``."""
    return float(np.linalg.norm(np.diff(positions_m[:, ROOT, _HORIZONTAL], axis=0), axis=-1).sum())


def _check_contacts(contacts: np.ndarray, n_frames: int) -> np.ndarray:
    contacts = np.asarray(contacts, dtype=bool)
    if contacts.shape != (n_frames, len(SIDES)):
        raise ValueError(
            f"contacts must be [{n_frames}, {len(SIDES)}] (columns {SIDES}), got {contacts.shape}"
        )
    return contacts


def foot_skate_cm_s(positions_m: np.ndarray, contacts: np.ndarray, fps: float) -> float:
    """Foot skating in cm/s: mean horizontal speed of a loaded foot's slower joint (``Foot`` over the
    heel or ``ToeBase`` at the ball, whichever is planted) over the frame steps ``t → t+1`` during which
    ``contacts`` ``[T, 2]`` (columns :data:`~step2motion.recording.SIDES`, e.g. from insole pressure)
    says the foot is loaded at both ends; ``100 · mean min_j ‖Δx_tj,horizontal‖ · fps``. NaN without
    such steps."""
    positions_m = _check_positions(positions_m)
    contacts = _check_contacts(contacts, positions_m.shape[0])
    speeds = []
    for column, side in enumerate(SIDES):
        step = np.diff(positions_m[:, FOOT_JOINTS[side]][..., _HORIZONTAL], axis=0)
        speed = np.linalg.norm(step, axis=-1).min(axis=1) * fps
        speeds.append(speed[contacts[:-1, column] & contacts[1:, column]])
    loaded = np.concatenate(speeds)
    return float(loaded.mean() * CM_PER_M) if loaded.size else math.nan


def motion_contacts(
    positions_m: np.ndarray,
    fps: float,
    height_m: float = CONTACT_HEIGHT_M,
    speed_m_s: float = CONTACT_SPEED_M_S,
) -> np.ndarray:
    """Contacts ``[T, 2]`` (columns :data:`~step2motion.recording.SIDES`) read from a motion alone.

    A foot is in contact when its ankle (``Foot``) or its ball (``ToeBase``) is both low — less than
    ``height_m`` above that joint's floor level — and slow — 3-D speed (``np.gradient`` × fps) below
    ``speed_m_s``. A joint's floor level is the :data:`CONTACT_FLOOR_PERCENTILE`-th percentile of its
    height pooled over both feet and all frames, so it needs no floor at y = 0, absorbs a constant
    float of a prediction, and survives clips where one foot stays raised.
    """
    positions_m = _check_positions(positions_m)
    contacts = np.zeros((positions_m.shape[0], len(SIDES)), dtype=bool)
    if positions_m.shape[0] < 2:
        return contacts
    joints = np.stack([FOOT_JOINTS[side] for side in SIDES])  # [side, (ankle, ball)]
    feet = positions_m[:, joints]  # [T, side, joint, 3]
    floor_m = np.percentile(feet[..., 1], CONTACT_FLOOR_PERCENTILE, axis=(0, 1))  # per joint type
    low = feet[..., 1] - floor_m < height_m
    slow = np.linalg.norm(np.gradient(feet, axis=0), axis=-1) * fps < speed_m_s
    contacts[:] = (low & slow).any(axis=2)
    return contacts


def contact_f1(detected: np.ndarray, reference: np.ndarray) -> float:
    """F1 score of contact frames ``detected`` against ``reference`` (both ``[T, 2]`` bool), pooled over
    frames and feet: ``2·TP / (2·TP + FP + FN)``; NaN when neither has a contact."""
    detected, reference = np.asarray(detected, dtype=bool), np.asarray(reference, dtype=bool)
    if detected.shape != reference.shape:
        raise ValueError(f"contact masks differ in shape: {detected.shape} and {reference.shape}")
    true_pos = np.sum(detected & reference)
    wrong = np.sum(detected ^ reference)
    return float(2 * true_pos / (2 * true_pos + wrong)) if true_pos + wrong else math.nan


def _check_samples(samples_m: np.ndarray, true_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    samples_m, true_m = np.asarray(samples_m, dtype=float), _check_positions(true_m, "ground truth")
    if samples_m.ndim != 4 or samples_m.shape[1:] != true_m.shape:
        raise ValueError(f"samples must be [K, {', '.join(map(str, true_m.shape))}], got {samples_m.shape}")
    return samples_m, true_m


def best_of_k(samples_m: np.ndarray, true_m: np.ndarray) -> tuple[int, float]:
    """Index and :func:`mpjpe_cm` (cm) of the sample closest to the truth among ``samples_m``
    ``[K, T, 22, 3]`` (a whole-clip choice: the same sample for every frame)."""
    samples_m, true_m = _check_samples(samples_m, true_m)
    errors = [mpjpe_cm(sample, true_m) for sample in samples_m]
    best = int(np.argmin(errors))
    return best, errors[best]


def spread_calibration(samples_m: np.ndarray, true_m: np.ndarray) -> dict[str, float]:
    """Does the spread of ``K ≥ 2`` samples ``[K, T, 22, 3]`` predict the error? Root-relative, per
    non-root joint ``j``:

    * spread ``s_j = √ mean_t [Σ_k ‖x_ktj − x̄_tj‖² / (K − 1)]`` (cm), the samples' RMS deviation;
    * error ``e_j = √ mean_t ‖x̄_tj − g_tj‖²`` (cm) of the sample mean ``x̄``.

    Returns ``spread_cm`` and ``sample_mean_error_cm`` (RMS over joints), the Pearson and Spearman
    correlations of ``s_j`` and ``e_j`` over the 21 joints (does the model know which joints it gets
    wrong?), and ``spread_error_ratio = √(Σ e_j² / ((1 + 1/K) Σ s_j²))``: 1 when the truth behaves like
    one more sample (calibrated), above 1 overconfident, below 1 underconfident.
    """
    samples_m, true_m = _check_samples(samples_m, true_m)
    k = samples_m.shape[0]
    if k < 2:
        raise ValueError(f"spread needs at least 2 samples, got {k}")
    local = root_relative(samples_m)[..., NON_ROOT_JOINTS, :]
    truth = root_relative(true_m)[:, NON_ROOT_JOINTS]
    mean = local.mean(axis=0)
    spread_sq = (np.sum((local - mean) ** 2, axis=-1).sum(axis=0) / (k - 1)).mean(axis=0)
    error_sq = np.sum((mean - truth) ** 2, axis=-1).mean(axis=0)
    spread, error = np.sqrt(spread_sq) * CM_PER_M, np.sqrt(error_sq) * CM_PER_M
    return {
        "spread_cm": float(np.sqrt(np.mean(spread**2))),
        "sample_mean_error_cm": float(np.sqrt(np.mean(error**2))),
        "spread_error_pearson": float(stats.pearsonr(spread, error).statistic),
        "spread_error_spearman": float(stats.spearmanr(spread, error).statistic),
        "spread_error_ratio": float(np.sqrt(error_sq.sum() / ((1 + 1 / k) * spread_sq.sum()))),
    }


def summarise(
    pred_m: np.ndarray,
    true_m: np.ndarray,
    fps: float,
    contacts: np.ndarray | None = None,
    root_window_s: float = ROOT_WINDOW_S,
) -> dict[str, float]:
    """Every single-prediction metric of one clip as a flat dict, units in the keys. ``contacts``
    ``[T, 2]`` are the reference contacts (from insole pressure) on the motion's frames; without them
    the foot metrics are NaN. Root windows last ``root_window_s`` seconds. Keys ending ``_true`` (before
    the unit) apply the same metric to the ground truth — the floor a prediction is judged against:
    mocap jitters, and its feet move during pressure contacts at heel strike and push-off."""
    pred_m, true_m = _check_pair(pred_m, true_m)
    nan = math.nan
    metrics = {
        "mpjpe_cm": mpjpe_cm(pred_m, true_m),
        "mpjpe_legs_cm": mpjpe_cm(pred_m, true_m, LEG_JOINTS),
        "mpjpe_upper_cm": mpjpe_cm(pred_m, true_m, UPPER_JOINTS),
        "mpjpe_heading_aligned_cm": mpjpe_heading_aligned_cm(pred_m, true_m),
        "pa_mpjpe_cm": pa_mpjpe_cm(pred_m, true_m),
        "mpjve_cm_s": mpjve_cm_s(pred_m, true_m, fps),
        "mpjve_legs_cm_s": mpjve_cm_s(pred_m, true_m, fps, LEG_JOINTS),
        "jitter_m_s3": jitter_m_s3(pred_m, fps),
        "jitter_true_m_s3": jitter_m_s3(true_m, fps),
        "root_error_window_m": root_window_error_m(pred_m, true_m, max(1, round(root_window_s * fps))),
        "root_drift_m_per_m": root_drift_m_per_m(pred_m, true_m),
        "root_drift_travel_aligned_m_per_m": root_drift_travel_aligned_m_per_m(pred_m, true_m),
        "root_path_ratio": root_path_ratio(pred_m, true_m),
    }
    for suffix, motion_m in (("", pred_m), ("_true", true_m)):
        skate, f1 = nan, nan
        if contacts is not None:
            skate = foot_skate_cm_s(motion_m, contacts, fps)
            f1 = contact_f1(motion_contacts(motion_m, fps), contacts)
        metrics[f"foot_skate{suffix}_cm_s"] = skate
        metrics[f"contact_f1{suffix}"] = f1
    return metrics


@dataclass(frozen=True)
class ClipMetrics:
    """Metrics of one clip (e.g. from :func:`summarise`) with what aggregation needs."""

    style: str
    n_frames: int
    metrics: dict[str, float]


def aggregate(clips: Sequence[ClipMetrics]) -> dict[str, float]:
    """Frame-weighted mean of every metric over ``clips`` (``Σ n_frames · value / Σ n_frames`` over the
    clips where the value is finite; NaN where none is), plus ``clips`` and ``frames`` counts."""
    names = dict.fromkeys(name for clip in clips for name in clip.metrics)
    means = {}
    for name in names:
        pairs = [(c.n_frames, c.metrics[name]) for c in clips if math.isfinite(c.metrics.get(name, math.nan))]
        frames = sum(n for n, _ in pairs)
        means[name] = sum(n * value for n, value in pairs) / frames if frames > 0 else math.nan
    return {**means, "clips": float(len(clips)), "frames": float(sum(c.n_frames for c in clips))}


def aggregate_by_style(clips: Iterable[ClipMetrics]) -> dict[str, dict[str, float]]:
    """:func:`aggregate` per style, styles in alphabetical order (use :func:`aggregate` on all clips for
    the overall row)."""
    groups: dict[str, list[ClipMetrics]] = defaultdict(list)
    for clip in clips:
        groups[clip.style].append(clip)
    return {style: aggregate(groups[style]) for style in sorted(groups)}


def start_aligned(positions_m: np.ndarray, pred_m: np.ndarray, true_m: np.ndarray) -> np.ndarray:
    """``positions_m`` ``[..., T, 22, 3]`` under the rigid motion (turn about the vertical, horizontal
    shift) that puts ``pred_m``'s frame-0 root and hip heading on ``true_m``'s."""
    turn = heading_rad(true_m[:1]) - heading_rad(pred_m[:1])
    shift = np.zeros(3)
    shift[[0, 2]] = true_m[0, ROOT, [0, 2]]
    origin = np.zeros(3)
    origin[[0, 2]] = pred_m[0, ROOT, [0, 2]]
    flat = (positions_m - origin).reshape(1, -1, 3)
    return rotate_about_y(flat, turn).reshape(positions_m.shape) + shift
