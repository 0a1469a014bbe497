"""Rows of the comparison table about load and outages: scalability, single point of failure.

* **Scalability**: the highest sustainable arrival rate of each pattern by
  theory with visit ratios (:func:`sagalab.theory.station_demand`, the
  number notebook 07 shows) next to the simulated search
  (:func:`sagalab.saturation`), and how slow a decision must get before the
  orchestrator, not a service, is the bottleneck.
* **Single point of failure**: each pattern has one participant that every
  saga passes through: the orchestrator, and the broker that carries every
  choreographed event (and every command of an orchestrator that uses it,
  ``transport="async"``, which so has both). Each is taken down for the same
  stretch of the same run (notebook 08's experiment); the sagas it delays are
  counted pair by pair against the run without the outage (same seed, same
  sagas), and the sagas it strands for good are counted with and without a
  saga log.
"""
from __future__ import annotations

import dataclasses

from ..model.faults import Outage
from ..model.infrastructure import Orchestrator
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from .comparison_rows import row
from .demand import station_demand
from .run import simulate

__all__ = ["scalability_row", "single_point_of_failure_row", "outage_window"]

CHOR, ORCH = PATTERNS
SLOWER = 0.001  # seconds: a saga at least this much slower than without the outage was delayed


def outage_window(n_sagas: int, arrival_rate: float) -> dict:
    """When the guide's outage starts and how long it lasts: a tenth of the run, from a third."""
    horizon = n_sagas / arrival_rate
    return dict(start=horizon / 3, duration=horizon / 10)


def scalability_row(ev) -> dict:
    theory = {p: station_demand(ev.saga, p, **ev.infra) for p in PATTERNS}
    limit = {p: float(theory[p]["limit"].min()) for p in PATTERNS}
    neck = {p: str(theory[p]["limit"].idxmin()) for p in PATTERNS}
    sat = ev.saturation
    text = {p: f"saturates at {limit[p]:.1f} sagas/s by theory (bottleneck {neck[p]}); "
               f"simulated {sat[p].rate:.1f} (bottleneck {sat[p].bottleneck})"
            for p in PATTERNS}
    orch = theory[ORCH].loc["orchestrator"]
    per = orch["demand"] / orch["visits"]  # seconds of orchestrator work per decision
    services = theory[ORCH]["limit"].drop(["orchestrator"]).min()
    flip = orch["capacity"] / (orch["visits"] * services)  # per-decision time at the tie
    cd = (f"c / (d h) = {orch['capacity']:.0f} / ({orch['visits']:.2f} decisions x "
          f"{1e3 * per:.1f} ms) = {orch['limit']:.1f} sagas/s")
    if neck[ORCH] == "orchestrator" and limit[ORCH] < 0.98 * limit[CHOR]:
        verdict = "agrees"
        head = (f"here the orchestrator is the bottleneck: {cd}, below the "
                f"{limit[CHOR]:.1f} sagas/s choreography sustains")
    elif limit[ORCH] > 1.02 * limit[CHOR]:
        verdict, head = "refuted", "orchestration sustains more than choreography here"
    else:
        verdict = "depends"
        head = (f"both patterns saturate at {limit[CHOR]:.1f} sagas/s, where {neck[CHOR]} "
                f"is busy all the time; the orchestrator would take {cd}. It becomes the "
                f"bottleneck above {1e3 * flip:.1f} ms per decision")
    return row(text[CHOR], text[ORCH],
               "sl.theory.station_demand: capacity / (visits x work) per station, with the "
               "visit ratios of routing; sl.saturation: offered load <= 1 by bisection over "
               "replicated runs",
               verdict,
               f"{head} (simulated: {sat[CHOR].rate:.1f} and {sat[ORCH].rate:.1f} sagas/s). "
               f"Choreography scales only as far as its slowest service and its topics' "
               f"partitions.", "07_bottlenecks")


def single_point_of_failure_row(ev) -> dict:
    window = outage_window(ev.n_sagas, ev.arrival_rate)
    base = ev.infra.get("orchestrator", Orchestrator())

    def run(pattern, target=None, transport="sync", **orch):
        faults = [Outage(target, **window)] if target else None
        infra = ev.infra_for(pattern, transport)
        if pattern == ORCH:
            infra["orchestrator"] = dataclasses.replace(base, **orch)
        return simulate(ev.saga, pattern, faults=faults, transport=transport,
                        arrival_rate=ev.arrival_rate, n_sagas=ev.n_sagas, seed=ev.seed,
                        trace=False, **infra).sagas

    calm = {p: run(p) for p in PATTERNS}
    hit = {"broker": run(CHOR, "broker"),
           "no log": run(ORCH, "orchestrator", durable_log=False),
           "log": run(ORCH, "orchestrator", durable_log=True),
           "async": run(ORCH, "broker", "async")}
    cal = {"broker": calm[CHOR], "no log": calm[ORCH], "log": calm[ORCH],
           "async": run(ORCH, transport="async")}
    stuck = {k: int((s.outcome == "stuck").sum()) for k, s in hit.items()}
    # a saga stuck for good never ends: count it delayed too
    delayed = {k: int(((s.latency - cal[k].latency).fillna(1.0) > SLOWER).sum())
               for k, s in hit.items()}
    slow = {k: float(s.latency.max()) for k, s in hit.items()}
    down = f"{window['duration']:.3g} s"
    both = delayed["broker"] > 0 and delayed["no log"] > 0
    if both:
        verdict = "refuted"
        head = "both patterns have one"
    elif stuck["no log"] > 0:
        verdict, head = "agrees", "only the orchestrator's outage held sagas up"
    else:
        verdict, head = "depends", "no outage held a saga up here"
    return row(f"a {down} broker outage delays {delayed['broker']} sagas and strands "
               f"{stuck['broker']} (worst latency {slow['broker']:.2f} s)",
               f"a {down} orchestrator crash delays {delayed['no log']} sagas and strands "
               f"{stuck['no log']} without a saga log, {stuck['log']} with one (worst "
               f"latency {slow['log']:.2f} s); over the broker (transport='async') a {down} "
               f"broker outage delays {delayed['async']} and strands {stuck['async']}",
               f"sl.Outage of the broker (choreography, and orchestration with "
               f"transport='async') and of the orchestrator (durable_log off and on), from "
               f"t = {window['start']:.3g} s for {down}; a saga is delayed when it ends later "
               f"than in the same run without the outage",
               verdict,
               f"{head}: a {down} outage of the broker held up {delayed['broker']} "
               f"choreographed sagas ({stuck['broker']} lost: the broker keeps its events), "
               f"one of the "
               f"orchestrator {delayed['no log']} orchestrated sagas, of which "
               f"{stuck['no log']} were stranded for good without a saga log and "
               f"{stuck['log']} with one. An orchestrator that sends its commands through the "
               f"broker (asynchronous) has both: the broker's outage held up "
               f"{delayed['async']} of its sagas too. The difference is whether the single "
               f"point's state survives.", "08_single_point_of_failure")
