""""Your system": a quick, measured side-by-side for the decision guide.

:func:`quick_comparison` runs both patterns on the same sagas with *your*
load and infrastructure and returns the handful of numbers a design review
asks for: latency (p50, p99), messages per saga, how busy the orchestrator
is, and the headroom: the load at which the first station saturates, by
theory with visit ratios (:func:`sagalab.theory.saturation_rate`, the same
number notebooks 07 and 10 show). Small runs: it answers within a fraction
of a second, so a slider can drive it.
"""
from __future__ import annotations

import pandas as pd

from ..model.infrastructure import Broker, Network, Orchestrator
from ..model.specs import Saga
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from . import _checks as checks
from .demand import station_demand
from .run import simulate

__all__ = ["quick_comparison"]

CHOR, ORCH = PATTERNS


def quick_comparison(saga: Saga, *, arrival_rate: float, network: Network | None = None,
                     broker: Broker | None = None, orchestrator: Orchestrator | None = None,
                     n_sagas: int = 400, seed=0) -> pd.DataFrame:
    """Both patterns on the same sagas: the numbers a design review asks for.

    Returns
    -------
    pandas.DataFrame
        Rows ``p50 latency (ms)``, ``p99 latency (ms)``, ``messages per saga``,
        ``orchestrator utilization``, ``headroom (sagas/s)`` (the load at which
        the first station saturates: :func:`sagalab.theory.saturation_rate`)
        and ``bottleneck``; one column per pattern
        and a column ``better`` naming the pattern that does better on the row
        (``"tie"`` within 2 %).

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.quick_comparison(sl.scenarios.ecommerce(), arrival_rate=20, n_sagas=200)
    >>> t.loc["messages per saga", "better"]
    'choreography'
    """
    own = "quick_comparison"
    checks.saga(own, saga)
    checks.rate(own, arrival_rate)
    checks.n_sagas(own, n_sagas)
    checks.infrastructure(own, dict(network=network, broker=broker, orchestrator=orchestrator))
    orchestrator = orchestrator or Orchestrator()
    cols = {}
    for p in PATTERNS:
        # one set of settings serves both patterns on purpose: no warning for the part
        # of it a pattern does not use (choreography's orchestrator, orchestration's broker)
        r = simulate(saga, p, arrival_rate=arrival_rate, n_sagas=n_sagas, seed=seed,
                     network=network, broker=broker, orchestrator=orchestrator, trace=False,
                     warn_unused=False)
        s = r.summary(warmup=0.1)
        limits = station_demand(saga, p, broker=broker, orchestrator=orchestrator)["limit"]
        neck = limits.idxmin()
        cols[p] = {"p50 latency (ms)": round(1e3 * s["latency_p50"], 1),
                   "p99 latency (ms)": round(1e3 * s["latency_p99"], 1),
                   "messages per saga": round(s["messages_per_saga"], 2),
                   "orchestrator utilization": round(s.get("utilization_orchestrator", 0.0), 3),
                   "headroom (sagas/s)": round(float(limits[neck]), 1),
                   "bottleneck": neck}
    table = pd.DataFrame(cols)
    lower_is_better = {"p50 latency (ms)", "p99 latency (ms)", "messages per saga",
                       "orchestrator utilization"}
    better = {}
    for row in table.index:
        if row == "bottleneck":
            better[row] = ""
            continue
        a, b = float(table.loc[row, CHOR]), float(table.loc[row, ORCH])
        if abs(a - b) <= 0.02 * max(abs(a), abs(b)):
            better[row] = "tie"
        elif (a < b) == (row in lower_is_better):
            better[row] = CHOR
        else:
            better[row] = ORCH
    table["better"] = pd.Series(better)
    return table
