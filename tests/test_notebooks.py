"""Conventions of the notebook series (nbval runs the notebooks themselves)."""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SERIES = [p for p in NOTEBOOKS if re.match(r"\d\d_", p.name)]
FORBIDDEN = [r"sys\.path", r"^\s*!\s*pip", r"%pip", r"autoreload", r"urlretrieve",
             r"requests\.get"]


def hides_value_with_semicolon(source: str) -> bool:
    """A last statement like ``sl.plot.x(...);`` (a value hidden only by ';')."""
    if not source.rstrip().endswith(";"):
        return False
    last = ast.parse(source.replace("%matplotlib inline", "")).body[-1]
    if not isinstance(last, ast.Expr) or not isinstance(last.value, ast.Call):
        return False
    func = last.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name not in {"tight_layout", "show", "print", "display"}


def cells(path):
    return json.loads(path.read_text())["cells"]


def src(cell):
    return "".join(cell["source"])


def test_series_is_numbered_in_reading_order():
    numbers = [int(p.name[:2]) for p in SERIES]
    assert numbers == list(range(len(numbers))), [p.name for p in SERIES]
    for p in SERIES:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name), p.name


@pytest.mark.parametrize("path", SERIES, ids=lambda p: p.name)
def test_opening_cells(path):
    first, second = cells(path)[:2]
    text = src(first)
    assert first["cell_type"] == "markdown" and text.startswith("# "), "title first"
    goals = re.search(r"\*\*Learning goals\*\*\n((?:\d\. .*\n?)+)", text)
    assert goals, "a numbered list under **Learning goals**"
    assert 3 <= len(goals.group(1).strip().splitlines()) <= 5
    assert "**Builds on:**" in text
    assert second["cell_type"] == "code"
    assert "import sagalab as sl" in src(second) and "SEED =" in src(second)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_clean_and_thin(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and src(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "commit notebooks executed top to bottom"
    assert counts == list(range(1, len(counts) + 1)), "executed in order, once, from a fresh kernel"
    for c in code:
        for pat in FORBIDDEN:
            assert not re.search(pat, src(c), re.M), f"{pat!r} in a cell"
        assert len(src(c).splitlines()) <= 15, f"a thin cell please:\n{src(c)}"
        assert not hides_value_with_semicolon(src(c)), (
            "nbval runs cells with store_history=False, so IPython cannot see a trailing ';' "
            f"and the value's repr comes back: assign the plot instead:\n{src(c)}")
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", src(c)
            assert "image/svg+xml" not in out.get("data", {}), "figures as PNG (SVG has a date)"
            assert "Traceback" not in "".join(out.get("text", "")), src(c)


@pytest.mark.parametrize("path", SERIES, ids=lambda p: p.name)
def test_closing_cells(path):
    cs = cells(path)
    texts = [src(c) for c in cs]
    assert any(t.startswith("## Summary") for t in texts), "a summary section"
    assert any("## Exercise" in t for t in texts), "exercises"
    assert any("sl.checks." in t for t, c in zip(texts, cs) if c["cell_type"] == "code")
    assert any(c["cell_type"] == "markdown" and "<details>" in src(c) and "Solution" in src(c)
               for c in cs), "solutions folded in a <details> block"
    if path != SERIES[-1]:
        nxt = SERIES[SERIES.index(path) + 1].name
        assert any(nxt in t for t in texts), f"link to the next notebook {nxt}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_interactive_cells_are_tagged_for_nbval(path):
    for c in cells(path):
        if c["cell_type"] == "code" and re.search(r"\binteract(ive)?(_output)?\(|sl\.widgets\.",
                                                  src(c)):
            assert "nbval-ignore-output" in c.get("metadata", {}).get("tags", []), src(c)


def exercise_cells(cs):
    """The cells from the first exercise heading up to the summary."""
    texts = [src(c) for c in cs]
    start = next(i for i, t in enumerate(texts) if "## Exercise" in t)
    end = next(i for i, t in enumerate(texts) if t.startswith("## Summary"))
    return cs[start:end]


def output_text(out):
    return "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))


@pytest.mark.parametrize("path", SERIES, ids=lambda p: p.name)
def test_exercises_do_not_give_the_answer_away(path):
    """Committed, an exercise shows its question and a NOT YET, never an answer or a PASS.

    The learner's answer cell says ``answer = None``; only a check cell prints, and
    it prints NOT YET; a worked solution is Markdown folded in ``<details>`` (code to
    read, never run, so no output shows it); no cell of the notebook says PASS.
    """
    cs = cells(path)
    for c in cs:
        if c["cell_type"] == "code":
            assert not c.get("metadata", {}).get("jupyter", {}).get("source_hidden"), \
                "no hidden code cells: a hidden cell's output still shows"
            for out in c.get("outputs", []):
                assert not re.match(r"\s*(PASS|TRY AGAIN)", output_text(out)), src(c)
    for c in exercise_cells(cs):
        if c["cell_type"] != "code":
            continue
        code = src(c)
        for value in re.findall(r"^answer\s*=\s*(.+?)\s*(?:#.*)?$", code, re.M):
            assert value == "None", f"the learner's answer starts as None:\n{code}"
        outs = c.get("outputs", [])
        if "sl.checks." in code:
            assert outs and all(output_text(o).startswith("NOT YET") for o in outs), code
        else:
            assert not outs, f"an exercise cell that shows something:\n{code}"
