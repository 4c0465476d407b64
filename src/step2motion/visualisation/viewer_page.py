"""One self-contained HTML page that plays a :class:`~step2motion.visualisation.scene.Scene`.

Why one file: the page is mailed, attached to reports and opened from disk (``file://``), so it loads
nothing: three.js (vendored by ``scripts/vendor_three.sh``), the page logic, its style and the data are
all inlined. The data is one JSON object in a ``<script type="application/json">`` element; each array
in it is an *encoded array*::

    {"dtype": "uint16", "shape": [N, 16], "b64": "...", "scale": 0.01, "missing": 65535}

``b64`` is the base64 of the array's little-endian bytes in C order. A value is ``stored * scale``
(no ``scale``: the stored value itself), and ``stored == missing`` means NaN (no ``missing``: floats
keep their own NaN). Quantisation, chosen so that a 10-minute recording with two motions stays near
15 MB and nothing visibly moves:

* joint positions: a float32 root (Hips) position per frame plus int16 millimetres from it
  (error ≤ 0.5 mm);
* cell pressures: uint16 in steps of 0.01 N/cm² (error ≤ 0.005 N/cm²), 65535 for a missing sample;
* total force and centre of pressure: float32 (NaN kept); sample times: float64; planted: uint8 0/1.

A quantised array that would not fit its integer type (a joint 33 m from the root, a pressure over
655 N/cm²) is stored as float32 instead, so nothing is ever clipped.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from step2motion.insole_layout import (
    CELL_CENTROIDS_NORM,
    DEFAULT_INSOLE_SIZE,
    TOP_VIEW_MATRIX,
    cell_areas_cm2,
)
from step2motion.io.atomic_file import atomic_path
from step2motion.recording import SIDES
from step2motion.visualisation.colours import page_colours
from step2motion.visualisation.scene import Scene

#: Millimetres: the step of the int16 joint offsets from the root.
POSITION_SCALE_M = 0.001
#: N/cm²: the step of the uint16 cell pressures.
PRESSURE_SCALE_NCM2 = 0.01
#: The page's placeholders, each replaced once by :func:`_fill_template`.
_PLACEHOLDER = re.compile(r"{{(TITLE|STYLE|THREE|DATA|VIEWER)}}")


@dataclass(frozen=True)
class ViewerPageStats:
    """What :func:`write_viewer_page` wrote.

    Attributes:
        path: the page.
        size_bytes: its size.
        n_motions: skeletons it shows.
        has_insoles: whether it shows a recording's insoles.
        duration_s: length of its timeline (the longest track), s.
    """

    path: Path
    size_bytes: int
    n_motions: int
    has_insoles: bool
    duration_s: float


def write_viewer_page(scene: Scene, path: Path, title: str | None = None) -> ViewerPageStats:
    """Write ``scene`` as one offline HTML page at ``path`` (atomically); ``title`` defaults to the
    names of what it shows."""
    if title is None:
        labels = [m.label for m in scene.motions]
        if scene.insoles is not None:
            labels.insert(0, scene.insoles.label)
        title = " + ".join(labels) or "step2motion"
    page = _fill_template(
        _asset("viewer.html"),
        {
            "TITLE": html.escape(title),
            "STYLE": _asset("viewer.css"),
            "THREE": _inline_script(_asset("three.bundle.min.js")),
            "DATA": _json_for_script(scene_payload(scene, title)),
            "VIEWER": _inline_script(_asset("viewer.js")),
        },
    )
    path = Path(path)
    with atomic_path(path) as partial:
        partial.write_text(page, encoding="utf-8")
    return ViewerPageStats(
        path=path,
        size_bytes=path.stat().st_size,
        n_motions=len(scene.motions),
        has_insoles=scene.insoles is not None,
        duration_s=scene.duration_s,
    )


def scene_payload(scene: Scene, title: str) -> dict:
    """The page's data object (encoded arrays as in the module docstring); ``viewer.js`` reads it.

    ``insoles.top_view_matrix`` holds, per side, the 2×2 matrix of
    :data:`~step2motion.insole_layout.TOP_VIEW_MATRIX` (normalised (x, y) to screen (across, along)); the page
    draws the outline, cells and centre of pressure through it, so it mirrors the feet as plots and videos do.
    """
    names = scene.joint_names
    payload: dict = {
        "title": title,
        "colours": page_colours(),
        "duration_s": scene.duration_s,
        "joint_names": list(names),
        "parents": list(scene.parents),
        "feet": {
            "left": [names.index("LeftFoot"), names.index("LeftToeBase")],
            "right": [names.index("RightFoot"), names.index("RightToeBase")],
        },
        "motions": [
            {
                "label": motion.label,
                "role": motion.role,
                "fps": motion.fps,
                "n_frames": int(motion.joint_positions_m.shape[0]),
                "root_m": encode_array(motion.joint_positions_m[:, 0], "<f4"),
                "offsets_m": encode_array(
                    motion.joint_positions_m - motion.joint_positions_m[:, :1], "<i2", POSITION_SCALE_M
                ),
            }
            for motion in scene.motions
        ],
        "insoles": None,
    }
    insoles = scene.insoles
    if insoles is not None:
        size = insoles.insole_size or DEFAULT_INSOLE_SIZE
        payload["insoles"] = {
            "label": insoles.label,
            "insole_size": insoles.insole_size,
            "time_s": encode_array(insoles.time_s, "<f8"),
            "cell_centroids_norm": CELL_CENTROIDS_NORM.tolist(),
            "cell_areas_cm2": cell_areas_cm2(size).tolist(),
            "top_view_matrix": {side: TOP_VIEW_MATRIX[side].tolist() for side in SIDES},
            "pressure_max_ncm2": pressure_colour_max(insoles.pressure_ncm2),
            "feet": {
                side: {
                    "pressure_ncm2": encode_array(
                        insoles.pressure_ncm2[side], "<u2", PRESSURE_SCALE_NCM2, missing=65535
                    ),
                    "force_n": encode_array(insoles.force_n[side], "<f4"),
                    "cop_norm": encode_array(insoles.cop_norm[side], "<f4"),
                    "planted": encode_array(insoles.planted[side], "u1"),
                }
                for side in SIDES
            },
        }
    return payload


def encode_array(
    values: np.ndarray, dtype: str, scale: float | None = None, missing: int | None = None
) -> dict:
    """An encoded array (module docstring): ``values`` as ``dtype``; with a ``scale``, divided by it and
    rounded, NaN as ``missing``, and float32 instead when that would not fit ``dtype``."""
    values = np.asarray(values)
    spec: dict = {"shape": list(values.shape)}
    if scale is not None:
        quantised = _quantised(values, np.dtype(dtype), scale, missing)
        if quantised is None:
            dtype = "<f4"
        else:
            values = quantised
            spec["scale"] = scale
            if missing is not None:
                spec["missing"] = missing
    spec["dtype"] = np.dtype(dtype).name
    spec["b64"] = base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")
    return spec


def _quantised(values: np.ndarray, dtype: np.dtype, scale: float, missing: int | None) -> np.ndarray | None:
    """``values / scale`` rounded, NaN as ``missing``; None when a value (or a NaN without ``missing``)
    has no place in ``dtype``."""
    finite = np.isfinite(values)
    if missing is None and not finite.all():
        return None
    stored = np.round(np.where(finite, values, 0.0) / scale)
    limits = np.iinfo(dtype)
    lowest = limits.min + (missing == limits.min)
    highest = limits.max - (missing == limits.max)
    if stored.size and (stored.min() < lowest or stored.max() > highest):
        return None
    return stored if missing is None else np.where(finite, stored, missing)


def pressure_colour_max(pressure_ncm2: dict[str, np.ndarray]) -> float:
    """Top of the pressure colour bar, N/cm²: the 99.5th percentile of loaded cells rounded up to 1, 2 or
    5 × 10ⁿ, so that a few spikes do not wash out every other step."""
    loaded = np.concatenate([p[np.isfinite(p) & (p > 0)] for p in pressure_ncm2.values()])
    if loaded.size == 0:
        return 1.0
    high = max(float(np.percentile(loaded, 99.5)), 0.1)
    decade = 10.0 ** np.floor(np.log10(high))
    return float(next(step * decade for step in (1, 2, 5, 10) if step * decade >= high))


def _asset(name: str) -> str:
    return resources.files("step2motion.visualisation").joinpath("viewer", name).read_text(encoding="utf-8")


def _fill_template(template: str, values: dict[str, str]) -> str:
    """Replace each placeholder in one pass, so that text put in (a label) cannot open another one."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _inline_script(source: str) -> str:
    """Script text safe inside ``<script>``: ``</script`` can only appear in a string or regex literal of
    valid code, where ``<\\/script`` means the same."""
    return re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)


def _json_for_script(payload: dict) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` as ``\\u`` escapes, so
    that a label ``</script>`` cannot end the element."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
