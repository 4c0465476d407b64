"""A training checkpoint scored through the whole reconstruction pipeline on the validation subjects.

Why: the training loop's own validation scores single windows of root-relative poses, sampled by the
model alone. What users get is the exported motion of whole recordings: windows stitched, the root from
the foot odometry, the skeleton fitted, the feet pinned, the clip aligned once at its first frame. The
two can disagree: windows that score alike can hold a checkpoint that tilts a whole walk. ``step2motion
train`` passes :func:`pipeline_scorer` to the loop when the config's ``select_on`` is ``pipeline``, so
that ``best.safetensors`` is the checkpoint that ``step2motion evaluate --split validation`` ranks first.
The training package does not import this one (it sits above it); it calls what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from step2motion.evaluation.evaluate import CheckpointMethod, MethodSettings, evaluate, select_clips
from step2motion.evaluation.split import load_split

#: Metrics of the whole pipeline recorded at each validation, as ``val_pipeline_<name>``; the first is the
#: one a run selects its best checkpoint on.
PIPELINE_METRICS = ("mpjpe_cm", "mpjpe_legs_cm", "root_drift_m_per_m")
PIPELINE_PREFIX = "val_pipeline_"


def pipeline_scorer(
    data_dir: str | Path, split_file: str | Path | None
) -> Callable[[Path], dict[str, float]]:
    """A function from a checkpoint path to ``{"val_pipeline_<metric>": value}`` over the validation
    subjects' takes of ``data_dir`` (variant 0, the default reconstruction, as ``step2motion evaluate
    --split validation`` runs them; a metric with nothing to measure, such as drift where nobody walks, is
    left out rather than logged as NaN). The takes are found now, so that a folder without validation takes
    fails before any training (``InputError``)."""
    clips = select_clips(data_dir, load_split(split_file), "validation")

    def score(checkpoint_path: Path) -> dict[str, float]:
        method = CheckpointMethod(MethodSettings(model_path=checkpoint_path))
        overall = evaluate({"step2motion": method}, clips, progress=False).methods["step2motion"].overall()
        values = {f"{PIPELINE_PREFIX}{name}": float(overall[name]) for name in PIPELINE_METRICS}
        return {name: value for name, value in values.items() if math.isfinite(value)}

    return score
