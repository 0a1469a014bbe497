"""The notebooks in JupyterLab, in Chromium: every one runs; every slider re-simulates.

Parametrized over what exists when the tests are collected: the series
(``notebooks/NN_*.ipynb``, zero or more), the playground notebook and the
fixture notebooks next to this file. A notebook is *interactive* when a code
cell builds ipywidgets sliders (``interact``, ``interactive``,
``interactive_output``, ``...Slider(`` or ``sl.widgets``); interactive notebooks are run all
and then have each slider moved, the others are run all.

The convention the slider test checks (the series follows it, see
``sl.widgets.explorer``): an ``interact``/``interactive`` callback returns
what it computed: a table, or ``sl.Result`` s (alone, in a dict/list/tuple,
or as an object's ``.results``). After a slider moves in the browser, a plot and
numbers must be shown and one of them must change, and a second client on the
notebook's kernel checks that exactly one callback saw the slider's new
value, that calling it again with its current values gives the same numbers
(what is shown is what those values compute, nothing stale), and, for
Results, that each is what ``sl.simulate`` gives for its own parameters and
that the slider's value is among them (as is, or scaled by 1e-3, 1e-2 or 1e3
for sliders in ms or percent).
"""
from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import nbformat
import pytest

from .browser_support import HERE, NOTEBOOKS, KernelProbe

SLIDERS = re.compile(r"\binteract(ive|ive_output)?\s*\(|Slider\s*\(|sl\.widgets\.")


def is_interactive(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and SLIDERS.search(c.source) for c in nb.cells)


SERIES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
ALL = [*SERIES, NOTEBOOKS / "playground.ipynb", *sorted(HERE.glob("*.ipynb"))]
ALL = [p for p in ALL if p.exists()]
INTERACTIVE = [p for p in ALL if is_interactive(p)]
PLAIN = [p for p in ALL if p not in INTERACTIVE]

PROBE = r'''
def _sagalab_results(obj):
    import sagalab as sl
    if isinstance(obj, sl.Result):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _sagalab_results(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _sagalab_results(v)
    elif hasattr(obj, "results"):
        yield from _sagalab_results(obj.results)


def _sagalab_interactives():
    import ipywidgets
    from ipywidgets.widgets import widget as _widget
    from ipywidgets.widgets.interaction import interactive
    instances = getattr(_widget, "_instances", None) or ipywidgets.Widget.widgets
    return {mid: w for mid, w in list(instances.items()) if isinstance(w, interactive)}


def _sagalab_probe():
    import json
    out = {}
    for mid, w in _sagalab_interactives().items():
        kwargs = {k: v if isinstance(v, (bool, int, float, str)) else repr(v)
                  for k, v in w.kwargs.items()}
        out[mid] = {"kwargs": kwargs, "results": len(list(_sagalab_results(w.result)))}
    return json.dumps(out)


def _sagalab_numbers(obj, depth=0):
    import dataclasses
    import numbers
    if depth > 8 or isinstance(obj, bool):
        return
    if isinstance(obj, numbers.Real):
        yield float(obj)
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _sagalab_numbers(getattr(obj, f.name), depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _sagalab_numbers(v, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _sagalab_numbers(v, depth + 1)


def _sagalab_same(a, b):
    import sagalab as sl
    if isinstance(a, sl.Result):
        return isinstance(b, sl.Result) and a.sagas.equals(b.sagas)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            _sagalab_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_sagalab_same(x, y) for x, y in zip(a, b))
    if hasattr(a, "results"):
        return _sagalab_same(a.results, getattr(b, "results", None))
    if hasattr(a, "equals"):
        return bool(a.equals(b))
    return bool(a == b)


def _sagalab_check(mid, value):
    import json
    import math

    import matplotlib.pyplot as plt
    from IPython.utils.capture import capture_output

    import sagalab as sl
    w = _sagalab_interactives()[mid]
    with capture_output():  # the callback again, with the slider's values, drawing nowhere
        fresh = w.f(**w.kwargs)
    plt.close("all")
    report = {"kind": type(w.result).__name__, "recomputes": _sagalab_same(w.result, fresh),
              "results": []}
    for r in _sagalab_results(w.result):
        params = {k: v for k, v in r.params.items() if k not in ("duration", "not_applicable")}
        leaves = list(_sagalab_numbers(params))
        report["results"].append({
            "same": bool(sl.simulate(**params).sagas.equals(r.sagas)),
            "found": any(math.isclose(value * s, x, rel_tol=1e-9, abs_tol=1e-12)
                         for s in (1, 1e-3, 1e-2, 1e3) for x in leaves)})
    return json.dumps(report)
'''

OUTPUTS = """() => [...document.querySelectorAll('.jp-Notebook .widget-output')]
    .map(e => e.innerText + [...e.querySelectorAll('img')].map(i => i.src).join(' '))"""


@pytest.mark.parametrize("path", PLAIN, ids=[p.name for p in PLAIN])
def test_notebook_runs_all_cells_without_error(lab, path):
    lab.open(path.name)
    lab.run_all()
    assert lab.errors() == []


def _outputs(page) -> str:
    return "\n".join(page.evaluate(OUTPUTS))


def _text(outputs: str) -> str:
    return re.sub(r"(blob|data):\S+", "", outputs)


def _images(outputs: str) -> list[str]:
    return re.findall(r"(?:blob|data):\S+", outputs)


@pytest.mark.parametrize("path", INTERACTIVE, ids=[p.name for p in INTERACTIVE])
def test_every_slider_resimulates(lab, path):
    page = lab.page
    lab.open(path.name)
    lab.run_all()
    assert lab.errors() == []
    sliders = page.locator(".jp-Notebook .widget-slider")
    page.wait_for_selector(".jp-Notebook .widget-slider .noUi-handle")
    assert sliders.count() > 0
    probe = KernelProbe(lab.server, path.name)
    try:
        probe.eval("'null'", PROBE)
        for i in range(sliders.count()):
            slider = sliders.nth(i)
            slider.scroll_into_view_if_needed()
            label = slider.locator(".widget-label").inner_text()
            readout = slider.locator(".widget-readout")
            before_readout, before_out = readout.inner_text(), _outputs(page)
            before = probe.eval("_sagalab_probe()")
            handle = slider.locator(".noUi-handle")
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute(
                "aria-valuemax")
            handle.focus()
            handle.press("ArrowLeft" if at_max else "ArrowRight")
            page.wait_for_function("([e, b]) => e.innerText !== b",
                                   arg=[readout.element_handle(), before_readout])
            # changed, and the kernel idle again (outputs arrive before its idle status)
            page.wait_for_function(
                f"b => ({OUTPUTS})().join('\\n') !== b && window.jupyterapp.shell"
                ".currentWidget.sessionContext.session.kernel.status === 'idle'",
                arg=before_out, timeout=30_000)
            deadline = time.monotonic() + 30
            while True:  # the kernel has the new value once the output changed; poll briefly
                after = probe.eval("_sagalab_probe()")
                changed = [m for m in after if after[m]["kwargs"] != before.get(m, {}).get(
                    "kwargs")]
                if changed or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            value = float(readout.inner_text())
            assert len(changed) == 1, f"slider {label!r}: callbacks that saw it: {changed}"
            mid = changed[0]
            old, new = before[mid]["kwargs"], after[mid]["kwargs"]
            keys = [k for k in new if new[k] != old.get(k)]
            assert len(keys) == 1 and math.isclose(float(new[keys[0]]), value, abs_tol=1e-9), (
                f"slider {label!r} shows {value}, the kernel has {new}")
            # the plot and the numbers under it both changed
            after_out = _outputs(page)
            # the numbers under the plot changed, or the plot did (a slider may move only one:
            # more orchestrator workers change utilization, not latency, at a low load)
            assert _images(after_out), f"slider {label!r}: no plot after the move"
            assert _text(after_out).strip(), f"slider {label!r}: no numbers after the move"
            numbers_changed = _text(after_out) != _text(before_out)
            plot_changed = _images(after_out) != _images(before_out)
            assert numbers_changed or plot_changed, f"slider {label!r}: nothing changed"
            report = probe.eval(f"_sagalab_check({json.dumps(mid)}, {value!r})")
            assert report["kind"] not in ("NoneType", "Figure", "Axes"), (
                f"slider {label!r}: its callback should return what it computed")
            assert report["recomputes"], (
                f"slider {label!r}: what it shows is not what its values compute")
            runs = report["results"]
            assert all(r["same"] for r in runs), f"slider {label!r}: a Result is not sl.simulate's"
            assert not runs or any(r["found"] for r in runs), (
                f"slider {label!r}: value {value} is not among the simulated parameters")
    finally:
        probe.close()
