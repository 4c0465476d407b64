"""Where a method's error lives: per joint, per style, and over time in its worst and its median clip;
and, with several methods, their MPJPE per style side by side.

Why these: the table's means hide which joints fail (feet versus hands), which activities fail (trained
styles versus unseen ones), whether errors grow with time in a clip (drift) or come in bursts (missed
steps), and on which activities a baseline does as well as the model. Figures are built without pyplot
(a bare ``Figure`` renders with Agg).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from step2motion import skeleton
from step2motion.evaluation.evaluate import ClipResult, Evaluation, MethodEvaluation, style_comparison_rows
from step2motion.evaluation.motion_metrics import LEG_JOINTS, NON_ROOT_JOINTS, UPPER_JOINTS
from step2motion.io.atomic_file import atomic_path

DPI = 100
#: MPJPE variants drawn per style, with their bar colours.
STYLE_METRICS: dict[str, str] = {
    "mpjpe_cm": "tab:blue",
    "mpjpe_legs_cm": "tab:red",
    "mpjpe_upper_cm": "tab:green",
}
#: Joint subsets drawn over time (label → canonical joint indices).
TIME_SUBSETS: dict[str, np.ndarray] = {
    "all joints": NON_ROOT_JOINTS,
    "legs": LEG_JOINTS,
    "upper body": UPPER_JOINTS,
}
LEG_COLOUR, UPPER_COLOUR = "tab:red", "tab:green"


def draw_joint_errors(evaluation: MethodEvaluation) -> Figure:
    """Bars of root-relative error per joint (cm, mean over all frames), legs and upper body coloured."""
    errors = evaluation.joint_mpjpe_cm()
    names = list(errors)
    legs = {skeleton.JOINT_NAMES[j] for j in LEG_JOINTS}
    fig = Figure(figsize=(12.0, 5.0), dpi=DPI)
    ax = fig.add_subplot()
    ax.bar(names, list(errors.values()), color=[LEG_COLOUR if n in legs else UPPER_COLOUR for n in names])
    ax.set_ylabel("MPJPE [cm]")
    ax.set_title(f"{evaluation.name}: error per joint ({len(evaluation.clips)} clips, legs red)")
    ax.tick_params(axis="x", labelrotation=60)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def draw_style_errors(evaluation: MethodEvaluation) -> Figure:
    """Grouped bars of MPJPE (all joints, legs, upper body) per style, all clips first."""
    rows = {"all": evaluation.overall(), **evaluation.per_style()}
    x = np.arange(len(rows))
    width = 0.8 / len(STYLE_METRICS)
    fig = Figure(figsize=(max(6.0, 1.0 + 0.9 * len(rows)), 5.0), dpi=DPI)
    ax = fig.add_subplot()
    for i, (metric, colour) in enumerate(STYLE_METRICS.items()):
        ax.bar(
            x + (i - (len(STYLE_METRICS) - 1) / 2) * width,
            [row[metric] for row in rows.values()],
            width,
            label=metric,
            color=colour,
        )
    labels = [f"{style}\n{row['seconds']:.0f} s" for style, row in rows.items()]
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set_ylabel("MPJPE [cm]")
    ax.set_title(f"{evaluation.name}: error per style (seconds of motion under each)")
    ax.margins(y=0.15)
    ax.legend(ncols=len(STYLE_METRICS), loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def worst_and_median(evaluation: MethodEvaluation) -> dict[str, ClipResult]:
    """The clips with the highest and the median MPJPE (``{"worst": ..., "median": ...}``)."""
    ranked = sorted(evaluation.clips, key=lambda c: c.metrics["mpjpe_cm"])
    return {"worst": ranked[-1], "median": ranked[(len(ranked) - 1) // 2]}


def draw_error_over_time(evaluation: MethodEvaluation) -> Figure:
    """Per-frame MPJPE (all joints, legs, upper body) over time in the worst and the median clip."""
    chosen = worst_and_median(evaluation)
    fig = Figure(figsize=(12.0, 7.0), dpi=DPI)
    axes = fig.subplots(len(chosen), 1)
    for ax, (which, clip) in zip(axes, chosen.items(), strict=True):
        time_s = np.arange(clip.n_frames) / clip.fps
        for label, joints in TIME_SUBSETS.items():
            ax.plot(time_s, clip.joint_error_cm[:, joints].mean(axis=1), label=label, linewidth=1.0)
        entry = clip.clip.entry
        ax.set_title(
            f"{which}: {entry.name} ({entry.style}, subject {entry.subject}), "
            f"MPJPE {clip.metrics['mpjpe_cm']:.1f} cm",
            fontsize=10,
        )
        ax.set_ylabel("MPJPE [cm]")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    axes[-1].set_xlabel("time from the clip's first frame [s]")
    fig.tight_layout()
    return fig


def draw_method_comparison(evaluation: Evaluation) -> Figure:
    """Grouped bars of MPJPE per style (all clips first), one bar per method."""
    rows = style_comparison_rows(evaluation)
    styles = list(next(iter(rows.values())))
    x = np.arange(len(styles))
    width = 0.85 / len(rows)
    fig = Figure(figsize=(max(8.0, 1.0 + 0.25 * len(rows) * len(styles)), 5.5), dpi=DPI)
    ax = fig.add_subplot()
    for i, (method, values) in enumerate(rows.items()):
        offset = (i - (len(rows) - 1) / 2) * width
        ax.bar(x + offset, [values[s] for s in styles], width, label=method)
    ax.set_xticks(x, styles, rotation=30, ha="right")
    ax.set_ylabel("MPJPE [cm]")
    ax.set_title(f"methods compared per style ({evaluation.meta.get('clips', '?')} clips)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    fig.tight_layout()
    return fig


def save_comparison_plot(evaluation: Evaluation, folder: str | Path) -> Path:
    """:func:`draw_method_comparison` as ``methods_styles.png`` in ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "methods_styles.png"
    fig = draw_method_comparison(evaluation)
    with atomic_path(path) as partial:
        fig.savefig(partial, format="png", dpi=DPI)
    return path


def save_evaluation_plots(evaluation: MethodEvaluation, folder: str | Path) -> list[Path]:
    """The three figures as PNGs ``<method>_joints.png``, ``<method>_styles.png`` and
    ``<method>_over_time.png`` in ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "joints": draw_joint_errors(evaluation),
        "styles": draw_style_errors(evaluation),
        "over_time": draw_error_over_time(evaluation),
    }
    paths = []
    for suffix, fig in figures.items():
        path = folder / f"{evaluation.name}_{suffix}.png"
        with atomic_path(path) as partial:
            fig.savefig(partial, format="png", dpi=DPI)
        paths.append(path)
    return paths
