"""Execute notebooks top to bottom in a fresh kernel and save them with outputs.

Usage: ``python tools/execute_notebooks.py [notebooks/NN_topic.ipynb ...]``
(default: every notebook in notebooks/). Figures are saved as PNG (no SVG:
SVG carries a date and would differ on every run). Prints the time each took.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CELL_TIMEOUT = 30  # seconds


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    t = time.perf_counter()
    # A short timeout on purpose: nbclient sometimes misses the reply to a cell that shows
    # ipywidgets (jupyter/nbclient#312) and only looks again when its timeout expires; every
    # cell of the series takes well under 30 s.
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return time.perf_counter() - t


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for p in paths:
        print(f"{p.name:40} {execute(p):6.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
