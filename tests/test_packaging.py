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
