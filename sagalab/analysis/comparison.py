"""The seed's Summary Table, rebuilt row by row with measured evidence.

The seed document ends with a table of claims ("Coordination: decentralized
vs centralized", "Scalability: excellent vs orchestrator can bottleneck",
...). ``sl.comparison_table`` runs both patterns on the same sagas (same
seeds) and puts, next to each claim, what the runs show and a verdict:

* ``agrees``: the measurement shows what the claim says;
* ``disagrees``: it shows the opposite;
* ``depends``: it holds or not depending on the parameters (the evidence says which);
* ``not claimed``: a measured row the seed's table does not have (latency, messages).

Each row is a small function of an :class:`Evidence` (the runs, computed
once and shared) registered in :data:`ROWS`; a new row (coupling from the
event graph, an orchestrator outage: see :mod:`sagalab.comparison_rows`) is one more
function. Testing is left out: a simulation cannot measure it.
"""
from __future__ import annotations

from functools import cached_property

import pandas as pd

from ..model import _validate
from ..model.specs import Saga
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the table compares the seed's two
from . import _checks as checks
from . import comparison_rows
from .replicate import replicate
from .run import simulate
from .runner import SERIAL
from .saturation import saturation
from .stats import mean_ci
from .visibility import log_coverage

__all__ = ["comparison_table", "Evidence", "ROWS", "SEED_CLAIMS", "VERDICTS"]

CHOR, ORCH = PATTERNS
VERDICTS = ("agrees", "disagrees", "depends", "not claimed")
#: The seed's Summary Table: aspect -> (choreography claim, orchestration claim).
SEED_CLAIMS = {
    "Coordination": ("Decentralized (events)", "Centralized (orchestrator)"),
    "Communication": ("Async (Kafka)", "Sync (HTTP) or Async"),
    "Coupling": ("Loose", "Tight"),
    "Complexity": ("Distributed", "Centralized"),
    "State": ("No central state", "Orchestrator tracks state"),
    "Failure Handling": ("Event-driven compensation", "Orchestrator triggers compensation"),
    "Visibility": ("Hard (distributed logs)", "Easy (orchestrator logs)"),
    "Single Point of Failure": ("No", "Yes (orchestrator)"),
    "Scalability": ("Excellent", "Orchestrator can bottleneck"),
}
COLUMNS = ("choreography_claim", "orchestration_claim", "choreography_measured",
           "orchestration_measured", "evidence", "verdict")


class Evidence:
    """The runs behind a comparison table, each computed on first use and shared by the rows.

    ``traced[pattern]``: one traced run (``Result``) per pattern, same seed;
    ``replicated[pattern]``: ``Replications``; ``saturation[pattern]``: ``Saturation``.
    """

    def __init__(self, saga: Saga, *, arrival_rate, n_sagas, replications, seed, warmup,
                 executor, infra: dict):
        self.saga, self.arrival_rate, self.n_sagas = saga, arrival_rate, n_sagas
        self.replications, self.seed, self.warmup = replications, seed, warmup
        self.executor, self.infra = executor, infra

    @cached_property
    def traced(self) -> dict:
        return {p: simulate(self.saga, p, arrival_rate=self.arrival_rate, n_sagas=self.n_sagas,
                            seed=self.seed, trace=True, **self.infra) for p in PATTERNS}

    @cached_property
    def replicated(self) -> dict:
        return {p: replicate(self.saga, p, self.replications, seed=self.seed,
                             warmup=self.warmup, executor=self.executor,
                             arrival_rate=self.arrival_rate, n_sagas=self.n_sagas, **self.infra)
                for p in PATTERNS}

    @cached_property
    def saturation(self) -> dict:
        return {p: saturation(self.saga, p, replications=min(self.replications, 3),
                              n_sagas=self.n_sagas, seed=self.seed, warmup=self.warmup,
                              rtol=0.02, executor=self.executor, **self.infra)
                for p in PATTERNS}

    def events(self, pattern: str) -> pd.DataFrame:
        ev = self.traced[pattern].events
        return ev.assign(source=ev["source"].astype(str), target=ev["target"].astype(str))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _share_best_participant(ev: pd.DataFrame, sides=("source", "target")) -> float:
    """Mean over sagas of the largest share of a saga's messages one participant sends or gets.

    ``sides=("target",)`` counts only what each participant receives.
    """
    if ev.empty:
        return float("nan")
    long = pd.concat([ev[["saga_id", s]].set_axis(["saga_id", "p"], axis=1) for s in sides])
    long = long[long["p"] != "dlq"]
    per = long.groupby(["saga_id", "p"]).size()
    total = ev.groupby("saga_id").size()
    return float((per.groupby(level=0).max() / total).mean())


def coordination(ev: Evidence) -> dict:
    share = {p: float(((e.source == "orchestrator") | (e.target == "orchestrator")).mean())
             for p in PATTERNS for e in [ev.events(p)]}
    pairs = {p: ev.events(p)[["source", "target"]].drop_duplicates() for p in PATTERNS}
    talk = {p: ", ".join(f"{a}->{b}" for a, b in pairs[p].itertuples(index=False))
            for p in PATTERNS}
    agrees = share[CHOR] == 0 and share[ORCH] == 1
    return {"choreography_measured": f"{_pct(share[CHOR])} of messages touch a coordinator",
            "orchestration_measured": f"{_pct(share[ORCH])} of messages touch the orchestrator",
            "evidence": f"who talks to whom: choreography {talk[CHOR]}; "
                        f"orchestration {talk[ORCH]}",
            "verdict": "agrees" if agrees else "disagrees"}


def communication(ev: Evidence) -> dict:
    ch = {p: ev.events(p)["channel"].astype(str).value_counts(normalize=True) for p in PATTERNS}
    text = {p: ", ".join(f"{_pct(v)} {k}" for k, v in ch[p].items() if v > 0) for p in PATTERNS}
    agrees = ch[CHOR].get("broker", 0) > 0.99 and ch[ORCH].get("network", 0) > 0.99
    return {"choreography_measured": text[CHOR], "orchestration_measured": text[ORCH],
            "evidence": "channel of every message: 'broker' = an event through Kafka, "
                        "'network' = a synchronous call or reply",
            "verdict": "agrees" if agrees else "depends"}


def state(ev: Evidence) -> dict:
    steps = set(ev.saga.step_names)
    share = {}
    for p in PATTERNS:
        e = ev.events(p)
        outcomes = e[e["source"].isin(steps) & e["kind"].isin(["success", "failure",
                                                              "compensation", "reply"])]
        share[p] = _share_best_participant(outcomes, sides=("target",))
    agrees = share[ORCH] >= 0.999 and share[CHOR] < 0.999
    return {"choreography_measured": f"best-informed participant hears {_pct(share[CHOR])} "
                                     f"of a saga's step outcomes",
            "orchestration_measured": f"best-informed participant hears {_pct(share[ORCH])}",
            "evidence": "share of each saga's step outcomes (success, failure, compensated) "
                        "that the single best-informed participant receives",
            "verdict": "agrees" if agrees else "depends"}


def failure_handling(ev: Evidence) -> dict:
    steps = set(ev.saga.step_names)
    share = {}
    for p in PATTERNS:
        e = ev.events(p)
        kinds = ["compensation"] if p == ORCH else ["failure", "compensation"]
        # the messages that made a service run its compensation
        trig = e[e["target"].isin(steps) & e["kind"].isin(kinds)]
        share[p] = float((trig["source"] == "orchestrator").mean()) if len(trig) else float("nan")
    if pd.isna(share[CHOR]) or pd.isna(share[ORCH]):
        return {"choreography_measured": "no compensation ran", "orchestration_measured":
                "no compensation ran", "evidence": "raise a failure_p to see compensations",
                "verdict": "depends"}
    agrees = share[CHOR] == 0 and share[ORCH] == 1
    return {"choreography_measured": f"{_pct(1 - share[CHOR])} of compensations triggered by a "
                                     f"service's event",
            "orchestration_measured": f"{_pct(share[ORCH])} triggered by an orchestrator command",
            "evidence": "who sent each message that made a service run its compensation",
            "verdict": "agrees" if agrees else "disagrees"}


def visibility(ev: Evidence) -> dict:
    cov = {p: log_coverage(ev.traced[p]) for p in PATTERNS}
    one = {p: float(cov[p]["one_complete_log"]) for p in PATTERNS}
    logs = {p: float(cov[p]["logs_holding_mean"]) for p in PATTERNS}
    text = {p: f"{_pct(one[p])} of sagas told whole by one log; {logs[p]:.1f} logs hold "
               f"parts of a saga" for p in PATTERNS}
    return {"choreography_measured": text[CHOR], "orchestration_measured": text[ORCH],
            "evidence": "sl.log_coverage: does one participant's log hold every message of a "
                        "saga, and how many logs must be merged otherwise",
            "verdict": "agrees" if one[ORCH] > one[CHOR] else "disagrees"}


def scalability(ev: Evidence) -> dict:
    sat = ev.saturation
    orch_limit = sat[ORCH].estimate.get("orchestrator", float("inf"))
    text = {p: f"saturates at {sat[p].rate:.4g} sagas/s (bottleneck {sat[p].bottleneck})"
            for p in PATTERNS}
    if sat[ORCH].bottleneck == "orchestrator" and sat[ORCH].rate < 0.98 * sat[CHOR].rate:
        verdict = "agrees"
        why = "the orchestrator saturates before any service does"
    elif sat[ORCH].rate > 1.02 * sat[CHOR].rate:
        verdict, why = "disagrees", "orchestration sustains more than choreography"
    else:
        verdict = "depends"
        why = (f"here a service saturates first; the orchestrator would bottleneck below "
               f"capacity / (decisions x overhead) = {orch_limit:.4g} sagas/s")
    return {"choreography_measured": text[CHOR], "orchestration_measured": text[ORCH],
            "evidence": f"highest arrival rate with every station's offered load <= 1 "
                        f"(bisection over replicated runs): {why}",
            "verdict": verdict}


def latency(ev: Evidence) -> dict:
    reps = ev.replicated
    text = {}
    for p in PATTERNS:
        s = reps[p].summary()
        text[p] = (f"p50 {1e3 * s.loc['latency_p50', 'mean']:.1f} ms, "
                   f"p99 {1e3 * s.loc['latency_p99', 'mean']:.1f} "
                   f"+- {1e3 * s.loc['latency_p99', 'half_width']:.1f} ms")
    diff = reps[ORCH].runs["latency_p99"] - reps[CHOR].runs["latency_p99"]  # paired by seed
    m, _, h = mean_ci(diff.to_numpy())
    return {"choreography_measured": text[CHOR], "orchestration_measured": text[ORCH],
            "evidence": f"orchestration - choreography p99, paired on the same sagas: "
                        f"{1e3 * m:+.1f} +- {1e3 * h:.1f} ms (95% CI, "
                        f"{ev.replications} replications)",
            "verdict": "not claimed"}


def messages(ev: Evidence) -> dict:
    m = {p: ev.replicated[p].summary().loc["messages_per_saga", "mean"] for p in PATTERNS}
    return {"choreography_measured": f"{m[CHOR]:.2f} messages per saga",
            "orchestration_measured": f"{m[ORCH]:.2f} messages per saga",
            "evidence": "every event, command and reply a saga causes",
            "verdict": "not claimed"}


#: Row functions in table order: aspect -> function(Evidence) -> dict of measured columns.
ROWS = {
    "Coordination": coordination,
    "Communication": communication,
    "Coupling": comparison_rows.coupling_row,
    "Complexity": comparison_rows.complexity_row,
    "State": state,
    "Failure Handling": failure_handling,
    "Visibility": visibility,
    "Single Point of Failure": comparison_rows.single_point_of_failure_row,
    "Scalability": scalability,
    "Latency": latency,
    "Messages": messages,
}


def comparison_table(saga: Saga, *, arrival_rate: float, n_sagas: int = 2000,
                     replications: int = 5, seed=0, warmup: int | float = 0.1, rows=None,
                     executor=SERIAL, network=None, broker=None,
                     orchestrator=None) -> pd.DataFrame:
    """The seed's Summary Table with measured evidence next to each claim.

    Parameters
    ----------
    saga : Saga
    arrival_rate : float
        Load of the traced and replicated runs (sagas/s).
    n_sagas, replications, seed, warmup
        Size of each run, runs per pattern, root seed, warm-up cut.
    rows : sequence of str, optional
        Aspects to include (keys of :data:`ROWS`, default all). Leaving
        out ``"Scalability"`` skips the saturation searches (the slow part).
    executor
        Where replicated runs execute (as for :func:`sagalab.replicate`).
    network, broker, orchestrator : optional
        Infrastructure, as for :func:`sagalab.simulate`.

    Returns
    -------
    pandas.DataFrame
        Indexed by aspect; columns ``choreography_claim``,
        ``orchestration_claim``, ``choreography_measured``,
        ``orchestration_measured``, ``evidence``, ``verdict``.

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.comparison_table(sl.scenarios.ecommerce(), arrival_rate=10, n_sagas=300,
    ...                         replications=3, rows=["Coordination", "Communication"])
    >>> t["verdict"].tolist()
    ['agrees', 'agrees']
    """
    own = "comparison_table"
    checks.saga(own, saga)
    checks.rate(own, arrival_rate)
    checks.warmup(own, warmup, checks.n_sagas(own, n_sagas))
    checks.replications(own, replications)
    checks.executor(own, executor)
    rows = list(ROWS) if rows is None else list(
        _validate.sequence(own, "rows", rows, "aspect names", limit=4 * len(ROWS)))
    if not rows:
        raise ValueError(f"comparison_table: rows is empty; give some of {list(ROWS)} or None "
                         f"for all")
    unknown = [r for r in rows if not isinstance(r, str) or r not in ROWS]
    if unknown:
        raise ValueError(f"comparison_table: unknown rows {unknown}; rows are {list(ROWS)}")
    if len(set(rows)) != len(rows):
        raise ValueError(f"comparison_table: rows must be distinct, got {rows}")
    infra = {k: v for k, v in dict(network=network, broker=broker,
                                   orchestrator=orchestrator).items() if v is not None}
    checks.infrastructure(own, infra)
    ev = Evidence(saga, arrival_rate=arrival_rate, n_sagas=n_sagas, replications=replications,
                  seed=seed, warmup=warmup, executor=executor, infra=infra)
    records = {}
    for aspect in rows:
        claim = SEED_CLAIMS.get(aspect, ("-", "-"))
        records[aspect] = dict(zip(COLUMNS[:2], claim), **ROWS[aspect](ev))
    table = pd.DataFrame.from_dict(records, orient="index", columns=list(COLUMNS))
    table.index.name = "aspect"
    return table
