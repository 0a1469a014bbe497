"""sl.simulate against a bare SimPy model, side by side in one run.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--quick]``

Prints, for each pattern, the median sagas/second of the bare model and of
``sl.simulate`` (trace on and off) over alternating repeats, and their
ratios; then how throughput scales with ``n_sagas``. Ratios, not seconds,
are what to compare: this machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for bare.py beside this file

import bare  # noqa: E402

import sagalab as sl  # noqa: E402

HOP, LATENCY, OVERHEAD = 0.002, 0.005, 0.001
RATE = 20.0


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer sagas and repeats")
    args = ap.parse_args(argv)
    n, repeats = (5_000, 3) if args.quick else (30_000, 7)
    saga = sl.scenarios.ecommerce()
    infra = dict(network=sl.Network(hop=HOP), broker=sl.Broker(latency=LATENCY),
                 orchestrator=sl.Orchestrator(capacity=1, overhead=OVERHEAD))
    print(f"{n} e-commerce sagas at {RATE}/s, median of {repeats} alternating repeats")
    print(f"{'pattern':14} {'bare/s':>9} {'trace/s':>9} {'ratio':>6} {'notrace/s':>10} {'ratio':>6}")
    for pattern in sl.PATTERNS:
        tb, tt, tn = [], [], []
        for r in range(repeats):
            tb.append(timed(lambda: bare.run(saga, pattern, rate=RATE, n=n, hop=HOP,
                                             latency=LATENCY, overhead=OVERHEAD, seed=r)))
            tt.append(timed(lambda: sl.simulate(saga, pattern, arrival_rate=RATE, n_sagas=n,
                                                seed=r, trace=True, **infra)))
            tn.append(timed(lambda: sl.simulate(saga, pattern, arrival_rate=RATE, n_sagas=n,
                                                seed=r, trace=False, **infra)))
        b, t, u = (n / statistics.median(x) for x in (tb, tt, tn))
        print(f"{pattern:14} {b:9.0f} {t:9.0f} {t / b:6.2f} {u:10.0f} {u / b:6.2f}")
    print("\nscaling with n_sagas (choreography, trace on): sagas/s")
    for m in (n // 4, n, 4 * n):
        t = statistics.median(timed(lambda: sl.simulate(saga, "choreography", arrival_rate=RATE,
                                                        n_sagas=m, seed=1, **infra))
                              for _ in range(3))
        print(f"  n_sagas={m:>8}: {m / t:9.0f}")


if __name__ == "__main__":
    main()
