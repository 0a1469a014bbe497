"""Colours and small helpers shared by every sagalab plot.

Colours come from the Okabe-Ito palette (safe for the common forms of
colour blindness) and are defined once here, so a pattern has the same
colour in every notebook of the series.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..analysis.result import as_results  # noqa: F401  (the plots' input convention)

__all__ = ["PATTERN_COLORS", "KIND_COLORS", "PHASE_COLORS", "OKABE_ITO", "pattern_color",
           "axes", "as_results", "colors"]

#: The Okabe-Ito palette (Okabe & Ito 2008), in its usual order.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
#: One colour per pattern, across the whole series.
PATTERN_COLORS = {"choreography": "#0072B2", "orchestration": "#E69F00", "hybrid": "#009E73"}
#: One colour per message kind (see :data:`sagalab.KINDS`).
KIND_COLORS = {"success": "#009E73", "failure": "#D55E00", "compensation": "#CC79A7",
               "command": "#0072B2", "reply": "#56B4E9", "dlq": "#000000"}
#: One colour per phase of a saga's time (see :func:`sagalab.spans`).
PHASE_COLORS = {"work": "#56B4E9", "compensation": "#CC79A7", "decision": "#E69F00",
                "wait": "#BBBBBB", "transit": "#000000"}
_SPARE = ("#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def pattern_color(label: str, i: int = 0) -> str:
    """The colour of pattern ``label`` (a spare Okabe-Ito colour for other labels)."""
    return PATTERN_COLORS.get(label, _SPARE[i % len(_SPARE)])


def axes(ax=None, figsize=(6.4, 4.0)):
    """``ax``, or the Axes of a new figure of ``figsize`` inches."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def axes_pair(ax=None, figsize=(11, 4)):
    """``(figure, left, right)``: the two Axes given in ``ax``, or those of a new figure."""
    if ax is None:
        fig, (left, right) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
        return fig, left, right
    left, right = ax
    return left.figure, left, right




def colors(results: dict) -> dict:
    """Colour per label: each pattern's colour for its first run; further runs of the same
    pattern take spare Okabe-Ito colours that no pattern uses (never another pattern's)."""
    spare = [c for c in OKABE_ITO if c not in PATTERN_COLORS.values()]
    out, seen, k = {}, set(), 0
    for label, r in results.items():
        if r.pattern in seen or r.pattern not in PATTERN_COLORS:
            out[label] = spare[k % len(spare)]
            k += 1
        else:
            out[label] = PATTERN_COLORS[r.pattern]
            seen.add(r.pattern)
    return out
