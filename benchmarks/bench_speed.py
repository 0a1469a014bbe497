"""sl.simulate against a bare SimPy model, side by side in one run.

Run: ``.venv/bin/python benchmarks/bench_speed.py [--quick]``

Prints, for each pattern, the median sagas/second of the careful bare SimPy
model (``bare.py``) and of ``sl.simulate`` over alternating repeats, and their
ratios: traced, untraced, with every fault armed (none firing), and with
business state (a semantic lock on the stock); then how throughput scales
with ``n_sagas``. Ratios, not seconds, are what to compare: this machine is
shared and noisy.
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


def armed(saga):
    """Every fault armed (an outage of each service, the broker and the orchestrator, a
    durable log, commits by batch) but none firing during the run."""
    never = 1e9
    return dict(faults=[sl.Outage(x, never, 1) for x in (*saga.step_names, "broker",
                                                        "orchestrator")],
                broker=sl.Broker(latency=LATENCY, commit_every=10),
                orchestrator=sl.Orchestrator(capacity=1, overhead=OVERHEAD, durable_log=True,
                                             log_latency=0), warn_unused=False)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer sagas and repeats")
    args = ap.parse_args(argv)
    n, repeats = (5_000, 3) if args.quick else (30_000, 7)
    saga = sl.scenarios.ecommerce()
    infra = dict(network=sl.Network(hop=HOP), broker=sl.Broker(latency=LATENCY),
                 orchestrator=sl.Orchestrator(capacity=1, overhead=OVERHEAD), warn_unused=False)
    stock = [sl.Stock("inventory", products=50, initial=10**6, countermeasure="semantic_lock")]
    variants = {
        "trace": dict(infra, trace=True),
        "notrace": dict(infra, trace=False),
        "armed": dict(infra, trace=True, **{**armed(saga)}),
        "state": dict(infra, trace=True, state=stock),
    }
    print(f"{n} e-commerce sagas at {RATE}/s, median of {repeats} alternating repeats; "
          f"ratio = sagas/s of sl.simulate over sagas/s of the careful bare SimPy model")
    print(f"{'pattern':14} {'bare/s':>8}" + "".join(f" {v:>9}/s {'ratio':>6}" for v in variants))
    for pattern in sl.PATTERNS:
        times = {"bare": []} | {v: [] for v in variants}
        for r in range(repeats):
            times["bare"].append(timed(lambda: bare.run(saga, pattern, rate=RATE, n=n, hop=HOP,
                                                        latency=LATENCY, overhead=OVERHEAD,
                                                        seed=r)))
            for v, kw in variants.items():
                times[v].append(timed(lambda: sl.simulate(saga, pattern, arrival_rate=RATE,
                                                          n_sagas=n, seed=r, **kw)))
        b = n / statistics.median(times["bare"])
        row = f"{pattern:14} {b:8.0f}"
        for v in variants:
            x = n / statistics.median(times[v])
            row += f" {x:11.0f} {x / b:6.2f}"
        print(row)
    print("\nscaling with n_sagas (choreography, trace on): sagas/s")
    for m in (n // 4, n, 4 * n):
        t = statistics.median(timed(lambda: sl.simulate(saga, "choreography", arrival_rate=RATE,
                                                        n_sagas=m, seed=1, **infra))
                              for _ in range(3))
        print(f"  n_sagas={m:>8}: {m / t:9.0f}")


if __name__ == "__main__":
    main()
