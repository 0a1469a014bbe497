"""The two dependency lists (pip and conda) name the same packages."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"playwright-python": "playwright"}


def names(specs):
    return {re.split(r"[<>=!\[ ]", s.strip(), maxsplit=1)[0].lower() for s in specs}


def test_environment_yml_agrees_with_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = py["optional-dependencies"]
    wanted = names(py["dependencies"]) | names(extras["lab"]) | names(extras["test"])
    for extra in re.findall(r"sagalab\[(\w+)\]", " ".join(extras["test"])):  # our own extras
        wanted |= names(extras[extra])
    wanted.discard("sagalab")
    conda = set()
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    for line in text.splitlines():  # conda packages, and the pip ones below "- pip:"
        m = re.match(r"^ +- ([A-Za-z0-9_.][A-Za-z0-9_.\-]*)", line)
        if m:
            conda |= {CONDA_TO_PYPI.get(n, n) for n in names([m.group(1)])}
    conda -= {"python", "pip"}
    assert conda == wanted, (f"only in environment.yml: {sorted(conda - wanted)}; "
                             f"only in pyproject.toml: {sorted(wanted - conda)}")


def test_public_api_is_curated():
    import sagalab as sl
    for name in sl.__all__:
        assert hasattr(sl, name), name
    for name in ["Constant", "Exponential", "LogNormal", "Step", "Saga", "Network", "Broker",
                 "Orchestrator", "simulate", "compare", "scenarios"]:
        assert name in sl.__all__


def test_dir_shows_only_the_curated_names():
    import sagalab as sl
    assert dir(sl) == sorted(sl.__all__)
    assert not {"model", "sim", "analysis", "ui", "engine", "np", "pd"} & set(dir(sl))


def test_import_sagalab_stays_light():
    """Sweep workers start fast: no pyplot, no ipywidgets, no live services until used."""
    import subprocess
    import sys
    code = ("import sys, sagalab as sl; heavy = ['matplotlib.pyplot', 'ipywidgets', "
            "'redis', 'dbos', 'aiohttp']; print([m for m in heavy if m in sys.modules]); "
            "sl.plot; print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"


def test_imports_flow_one_way():
    """model -> sim -> analysis -> plot, ui, live: no module imports a layer above its own."""
    import pathlib
    import re
    order = {"model": 0, "sim": 1, "analysis": 2, "plot": 3, "ui": 3, "live": 3}
    root = pathlib.Path(__file__).resolve().parent.parent / "sagalab"
    bad = []
    for path in root.glob("*/*.py"):
        layer = order.get(path.parent.name)
        if layer is None:
            continue
        for m in re.finditer(r"^\s*from \.\.(\w+)", path.read_text(), flags=re.M):
            if order.get(m.group(1), -1) > layer:
                bad.append(f"{path.relative_to(root)} imports {m.group(1)}")
    assert not bad, bad
