"""Peak memory of a 1,000,000-saga run with trace=False (target: under 500 MB).

Run: ``.venv/bin/python benchmarks/bench_memory.py [n_sagas]``. Measures the
peak resident set size of a fresh child process (ru_maxrss), so the numbers
include the interpreter and the imported libraries.
"""
from __future__ import annotations

import subprocess
import sys

CHILD = """
import resource, sys, time
import sagalab as sl
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
r = sl.simulate(sl.scenarios.ecommerce(), sys.argv[1], arrival_rate=40, n_sagas=int(sys.argv[2]),
                seed=0, trace=False)
s = r.summary()
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{sys.argv[1]:14} peak {peak / 1024:6.0f} MB (after imports {base / 1024:4.0f} MB), "
      f"{int(s['n'])} sagas in {dt:5.1f} s")
"""


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"{n} sagas, trace=False, peak resident memory of a fresh process:")
    for pattern in ("choreography", "orchestration"):
        subprocess.run([sys.executable, "-c", CHILD, pattern, str(n)], check=True)


if __name__ == "__main__":
    main()
