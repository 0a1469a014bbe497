"""Slider-driven explorers for the notebooks (ipywidgets).

An explorer is an ``ipywidgets.interactive``: moving a slider re-runs a small
simulation, draws a figure and shows a table. The callback *returns* the
table it computed, so ``explorer.result`` holds the numbers under the
current slider values (tests set a slider's ``.value`` and read
``.result``; no browser needed). Keep ``n_sagas`` small in explorers so each
move answers within half a second.
"""
from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt

__all__ = ["explorer", "slider", "controls"]


def slider(value, low, high, step, description: str, *, integer: bool = False, fmt: str = ".2f"):
    """A slider that updates only when released (no flood of re-simulations)."""
    import ipywidgets as w

    style = {"description_width": "initial"}
    layout = w.Layout(width="420px")
    if integer:
        return w.IntSlider(value=value, min=low, max=high, step=step, description=description,
                           continuous_update=False, style=style, layout=layout)
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=False, readout_format=fmt, style=style,
                         layout=layout)


def explorer(compute: Callable, draw: Callable | None = None, **sliders):
    """Build an interactive explorer.

    Parameters
    ----------
    compute : callable
        ``compute(**values)`` returns the table to show (a DataFrame).
    draw : callable, optional
        ``draw(table, **values)`` draws a matplotlib figure from the table.
    **sliders
        Name -> ipywidgets control (see :func:`slider`).

    Returns
    -------
    ipywidgets.interactive
        Its ``.result`` is the table for the current values; its
        ``.children`` are the sliders, then the output area.
    """
    from ipywidgets import interactive

    def update(**values):
        table = compute(**values)
        if draw is not None:
            draw(table, **values)
            plt.show()
        return table

    return interactive(update, **sliders)


def controls(view) -> dict:
    """The sliders of an explorer by name: ``controls(ex)["payment"].value = 0.3``."""
    return {c._kwarg: c for c in view.kwargs_widgets}
