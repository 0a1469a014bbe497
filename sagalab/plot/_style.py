"""Colours and small helpers shared by every sagalab plot.

Colours come from the Okabe-Ito palette (safe for the common forms of
colour blindness) and are defined once here, so a pattern has the same
colour in every notebook of the series, and so has a countermeasure.

Within one figure every series has a colour of its own. Several runs of one
pattern (two orchestrator sizes, with and without a saga log) keep the
pattern's hue: the first run its colour, the others darker or lighter
shades of it (:func:`variant`), and ordered variants (1, 2, 4, 8 workers)
a ramp from light to dark (:func:`ramp`); line styles, markers or hatching
tell them apart as well, and a legend names them.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_hex, to_rgb

from ..analysis.result import as_results  # noqa: F401  (the plots' input convention)

__all__ = ["PATTERN_COLORS", "KIND_COLORS", "PHASE_COLORS", "COUNTERMEASURE_COLORS", "OKABE_ITO",
           "pattern_color", "variant", "ramp", "countermeasure_style", "axes", "as_results",
           "colors"]

#: The Okabe-Ito palette (Okabe & Ito 2008), in its usual order.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
#: One colour per pattern, across the whole series.
PATTERN_COLORS = {"choreography": "#0072B2", "orchestration": "#E69F00", "hybrid": "#009E73"}
#: One colour per message kind (see :data:`sagalab.KINDS`).
KIND_COLORS = {"success": "#009E73", "failure": "#D55E00", "compensation": "#CC79A7",
               "command": "#0072B2", "reply": "#56B4E9", "dlq": "#000000"}
#: One colour per phase of a saga's time (see :func:`sagalab.spans`). Work is yellow so that
#: it differs from every message kind drawn next to it in a sequence diagram.
PHASE_COLORS = {"work": "#F0E442", "compensation": "#CC79A7", "decision": "#E69F00",
                "wait": "#BBBBBB", "transit": "#000000"}
#: One colour per isolation countermeasure (see :data:`sagalab.COUNTERMEASURES`), across the
#: series; ``"none"`` is the naive service. A ``*_fail`` variant (fail instead of wait) is a
#: lighter relative of its countermeasure's colour, and hatched.
COUNTERMEASURE_COLORS = {"none": "#999999", "semantic_lock": "#0072B2",
                         "semantic_lock_fail": "#56B4E9", "commutative": "#009E73",
                         "reread": "#CC79A7", "reread_fail": "#E6BCD3",
                         "version_file": "#E69F00", "pessimistic_view": "#D55E00"}
_SPARE = ("#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def pattern_color(label: str, i: int = 0) -> str:
    """The colour of pattern ``label`` (a spare Okabe-Ito colour for other labels)."""
    return PATTERN_COLORS.get(label, _SPARE[i % len(_SPARE)])


def _mix(color: str, other: str, f: float) -> str:
    a, b = np.array(to_rgb(color)), np.array(to_rgb(other))
    return to_hex((1 - f) * a + f * b)


def variant(color: str, k: int) -> str:
    """The ``k``-th variant of ``color``: itself, then darker, lighter, darker still ...

    Examples
    --------
    >>> variant("#E69F00", 0), variant("#E69F00", 1) != variant("#E69F00", 2)
    ('#E69F00', True)
    """
    if k == 0:
        return color
    step = (k + 1) // 2 - 1
    return _mix(color, "#000000", 0.3 + 0.15 * step) if k % 2 else \
        _mix(color, "#FFFFFF", 0.4 + 0.15 * step)


def ramp(color: str, n: int) -> list[str]:
    """``n`` shades of ``color`` from light to dark, for ordered variants (1, 2, 4 workers).

    Examples
    --------
    >>> ramp("#0072B2", 1)
    ['#0072B2']
    >>> len(set(ramp("#0072B2", 4)))
    4
    """
    if n == 1:
        return [color]
    return [_mix(color, "#FFFFFF", -f) if f < 0 else _mix(color, "#000000", f)
            for f in np.linspace(-0.5, 0.45, n)]


def countermeasure_style(label: str) -> dict | None:
    """Bar style of a countermeasure's run (``color``, ``hatch``), or None for other labels."""
    if label not in COUNTERMEASURE_COLORS:
        return None
    return dict(color=COUNTERMEASURE_COLORS[label],
                hatch="//" if label.endswith("_fail") else "", edgecolor="white")


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
    """Colour per label: each pattern's colour for its first run, darker or lighter shades of
    it for further runs of the same pattern (:func:`variant`), never another pattern's."""
    seen: dict[str, int] = {}
    out = {}
    for label, r in results.items():
        k = seen.get(r.pattern, 0)
        seen[r.pattern] = k + 1
        out[label] = variant(pattern_color(r.pattern), k)
    return out
