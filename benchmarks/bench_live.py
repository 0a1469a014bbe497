"""Latency agreement between the real services (sl.live) and the simulator, side by side.

Run: ``.venv/bin/python benchmarks/bench_live.py [--quick] [--n N] [--rate R] [--seed S]``
(needs ``redis-server``).

For each way of running the seed's e-commerce saga for real (choreography on
Redis Streams; the seed's orchestrator over HTTP and over Redis; DBOS over
HTTP), one real run, then the simulator on the same sagas (same seed, rate
and number) three ways: its default infrastructure, calibrated on the links
alone (``calibrate(real, jitter=False)``), and calibrated with Python's
scheduling jitter folded in (``calibrate(real)``, the default). Prints latency p50 /
p95 / p99 (ms) and the Kolmogorov-Smirnov distance for each, then where the
time goes (mean ms per saga) in reality and in the calibrated model, and how
much longer than drawn the real services worked. Outcomes and message
sequences must agree saga by saga; the script says so.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import sagalab as sl

MODES = {"choreography": ("choreography", "seed", "sync"),
         "orchestration (seed, HTTP)": ("orchestration", "seed", "sync"),
         "orchestration (seed, Redis)": ("orchestration", "seed", "async"),
         "orchestration (DBOS, HTTP)": ("orchestration", "dbos", "sync")}
PARTS = ["queueing", "service", "transit", "coordination"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100 sagas instead of 400")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n = args.n or (100 if args.quick else 400)
    saga = sl.scenarios.ecommerce()
    print(f"{n} e-commerce sagas at {args.rate:g}/s, seed {args.seed}; latency in ms\n")
    rows, parts = [], []
    for label, (pattern, engine, transport) in MODES.items():
        t = time.perf_counter()
        real = sl.live.run(saga, pattern, orchestrator=engine, transport=transport,
                           arrival_rate=args.rate, n_sagas=n, seed=args.seed)
        wall = time.perf_counter() - t
        models = {"defaults": sl.live.twin(real, calibrated=False),
                  "links": sl.live.twin(real, jitter=False),
                  "links+jitter": sl.live.twin(real)}
        for model, sim in models.items():
            c = sl.live.compare(real, sim).iloc[0]
            rows.append({"run": label, "model": model,
                         "same outcomes": bool(c["outcomes_identical"]),
                         "same messages": bool(c["sequences_identical"]),
                         **{f"{q} real": 1e3 * c[f"{q}_real"] for q in ("p50", "p95", "p99")},
                         **{f"{q} sim": 1e3 * c[f"{q}_sim"] for q in ("p50", "p95", "p99")},
                         "KS": c["ks"]})
        work = real.params["live"]["work"]
        parts.append({"run": label, "side": "real", **(real.sagas[PARTS].mean() * 1e3)})
        parts.append({"run": label, "side": "model (links+jitter)",
                      **(models["links+jitter"].sagas[PARTS].mean() * 1e3)})
        over, pick = (1e3 * work[c].to_numpy() for c in ("overrun", "pickup"))
        print(f"{label:30} real run {wall:5.1f} s wall; per work: overran its draw by "
              f"{np.median(over):.2f} ms median ({np.percentile(over, 99):.2f} p99), started "
              f"{np.median(pick):.2f} ms after a worker was free ({np.percentile(pick, 99):.2f} "
              f"p99)", flush=True)
    with pd.option_context("display.width", 220, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print("\nlatency, real beside the model")
        print(pd.DataFrame(rows).set_index(["run", "model"]).to_string())
        print("\nwhere the time goes, mean ms per saga")
        print(pd.DataFrame(parts).set_index(["run", "side"]).to_string())


if __name__ == "__main__":
    main()
