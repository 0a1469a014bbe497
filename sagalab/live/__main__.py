"""``python -m sagalab.live`` (``make live``): real runs beside the model, as a table.

Runs the seed's e-commerce saga for real under choreography, the seed's
orchestrator and DBOS, then simulates the same sagas twice (the simulator's
default infrastructure, and calibrated to the real run) and prints
:func:`sagalab.live.compare` for both.
"""
from __future__ import annotations

import argparse
import time

import pandas as pd

import sagalab as sl

RUNS = {"choreography": ("choreography", "seed"), "seed": ("orchestration", "seed"),
        "dbos": ("orchestration", "dbos")}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m sagalab.live", description=__doc__.split("\n")[0])
    p.add_argument("--n-sagas", type=int, default=200)
    p.add_argument("--rate", type=float, default=10.0, help="sagas per second")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    args = p.parse_args(argv)
    saga = sl.scenarios.ecommerce()
    tables = []
    for name in args.runs:
        pattern, engine = RUNS[name]
        t = time.perf_counter()
        real = sl.live.run(saga, pattern, orchestrator=engine, arrival_rate=args.rate,
                           n_sagas=args.n_sagas, seed=args.seed)
        print(f"{sl.live.label(real):24} {args.n_sagas} real sagas in "
              f"{time.perf_counter() - t:5.1f} s wall", flush=True)
        for model, calibrated in (("defaults", False), ("calibrated", True)):
            table = sl.live.compare(real, sl.live.twin(real, calibrated=calibrated))
            tables.append(table.assign(model=model).set_index("model", append=True))
    out = pd.concat(tables)
    ms = [c for c in out.columns if c.startswith("p")]
    out[ms] = (out[ms] * 1e3).round(1)
    out["ks"] = out["ks"].round(3)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\nreal versus simulated, {args.n_sagas} sagas at {args.rate:g}/s, "
              f"seed {args.seed} (latency quantiles in ms)")
        print(out.drop(columns=["outcome_mismatches", "sequence_mismatches"]).to_string())


if __name__ == "__main__":
    main()
