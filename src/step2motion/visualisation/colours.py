"""Colours of the 3D page and the video, in one place, so that both show a scene alike.

Hex strings (``#rrggbb``); the page receives them in its data object, the video gives them to matplotlib.
The pressure scale runs from white through yellow and orange to dark red, by fraction of the colour bar's
top: light cells read as unloaded at a glance, and red stays visible on a white page.
"""

from __future__ import annotations

from matplotlib.colors import Colormap, LinearSegmentedColormap

PREDICTION_COLOURS: tuple[str, ...] = ("#2f6fd6", "#8e44ad", "#16a085", "#c0392b", "#5d6d7e", "#b7950b")
TRUTH_COLOUR = "#e07b39"
PLANTED_COLOUR = "#12b347"
#: Each foot's force and its share of the insole panel.
FOOT_COLOURS: dict[str, str] = {"left": "#2f6fd6", "right": "#d1492e"}
#: A sample the recording does not hold.
MISSING_COLOUR = "#b5b5b5"
#: ``(fraction of the colour bar's top, colour)``, fractions rising from 0 to 1.
PRESSURE_STOPS: tuple[tuple[float, str], ...] = (
    (0.0, "#f7f4e9"),
    (0.15, "#fde286"),
    (0.35, "#fba848"),
    (0.6, "#eb552d"),
    (0.85, "#af1430"),
    (1.0, "#5a0a2d"),
)


def pressure_colour_map() -> Colormap:
    """:data:`PRESSURE_STOPS` as a matplotlib colour map, :data:`MISSING_COLOUR` for NaN."""
    return LinearSegmentedColormap.from_list("step2motion_pressure", list(PRESSURE_STOPS)).with_extremes(
        bad=MISSING_COLOUR
    )


def page_colours() -> dict:
    """The colours as the page's data object holds them (``viewer.js`` reads ``DATA.colours``)."""
    return {
        "prediction": list(PREDICTION_COLOURS),
        "truth": TRUTH_COLOUR,
        "planted": PLANTED_COLOUR,
        "feet": dict(FOOT_COLOURS),
        "missing": MISSING_COLOUR,
        "pressure_stops": [[fraction, colour] for fraction, colour in PRESSURE_STOPS],
    }
