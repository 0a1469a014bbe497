"""A 32-point sweep, serially and on the default executor (a local process pool).

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--sagas N]``

Prints the wall time of both and their ratio (the speed-up), then the cost
per saga of one point, the number to scale a Dask cluster recipe from
(README: "Sweeps on a Dask cluster").
"""
from __future__ import annotations

import argparse
import os
import time

import pandas as pd

import sagalab as sl


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sagas", type=int, default=4000, help="sagas per point")
    ap.add_argument("--repeats", type=int, default=3, help="alternating repeats (best kept)")
    args = ap.parse_args(argv)
    saga = sl.scenarios.ecommerce()
    grid = {"arrival_rate": [10.0, 20.0, 30.0, 40.0], "orchestrator.capacity": [1, 2, 4, 8]}
    kw = dict(grid=grid, replications=1, progress=False, n_sagas=args.sagas)
    n_points = 4 * 4 * len(sl.PATTERNS)
    print(f"{n_points} points ({args.sagas} sagas each) on {os.cpu_count()} cores, "
          f"load average before: {os.getloadavg()[0]:.2f} (other work on the cores lowers the "
          f"speed-up)")
    ts = tp = float("inf")
    for _ in range(args.repeats):  # alternate, keep the best of each: the machine is shared
        t = time.perf_counter()
        serial = sl.sweep(saga, executor="serial", **kw)
        ts = min(ts, time.perf_counter() - t)
        t = time.perf_counter()
        pooled = sl.sweep(saga, executor=None, **kw)
        tp = min(tp, time.perf_counter() - t)
        pd.testing.assert_frame_equal(serial, pooled)
    print(f"serial {ts:6.2f} s   default executor {tp:6.2f} s   speed-up {ts / tp:4.2f}x "
          f"(identical rows)")
    per_saga = ts / (n_points * args.sagas)
    print(f"cost per saga, one core: {1e6 * per_saga:.1f} us")
    cost = 1e4 * 1e4 * per_saga
    print(f"10^4 points x 10^4 sagas: {cost / 3600:.1f} core-hours "
          f"({cost / 64 / 60:.0f} min on 64 cores)")


if __name__ == "__main__":
    main()
