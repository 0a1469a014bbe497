"""Rows of the comparison table measured on plain runs of both patterns.

Each function takes the shared :class:`~sagalab.analysis.comparison.Evidence`
and returns the measured columns, the verdict and the finding (a sentence
with the numbers, computed here, never typed elsewhere).
"""
from __future__ import annotations

import pandas as pd

from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from .stats import mean_ci
from .theory import messaging_time
from .visibility import log_coverage

__all__ = ["coordination", "communication", "state", "failure_handling", "visibility",
           "latency", "messages", "pct", "row"]

CHOR, ORCH = PATTERNS


def pct(x: float) -> str:
    """A share as a whole percentage: ``0.083 -> '8%'``."""
    return f"{100 * x:.0f}%"


def row(chor: str, orch: str, evidence: str, verdict: str, finding: str, notebook: str) -> dict:
    """The measured columns of one row of the comparison table."""
    return {"choreography_measured": chor, "orchestration_measured": orch,
            "evidence": evidence, "verdict": verdict, "finding": finding, "notebook": notebook}


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


def coordination(ev) -> dict:
    share = {p: float(((e.source == "orchestrator") | (e.target == "orchestrator")).mean())
             for p in PATTERNS for e in [ev.events(p)]}
    pairs = {p: ev.events(p)[["source", "target"]].drop_duplicates() for p in PATTERNS}
    talk = {p: ", ".join(f"{a}->{b}" for a, b in pairs[p].itertuples(index=False))
            for p in PATTERNS}
    agrees = share[CHOR] == 0 and share[ORCH] == 1
    return row(f"{pct(share[CHOR])} of messages touch a coordinator",
               f"{pct(share[ORCH])} of messages touch the orchestrator",
               f"who talks to whom: choreography {talk[CHOR]}; orchestration {talk[ORCH]}",
               "agrees" if agrees else "refuted",
               f"{pct(share[CHOR])} of choreography's messages touch a coordinator, "
               f"{pct(share[ORCH])} of orchestration's.", "01_why_sagas, 03_orchestration")


def communication(ev) -> dict:
    ch = {p: ev.events(p)["channel"].astype(str).value_counts(normalize=True) for p in PATTERNS}
    text = {p: ", ".join(f"{pct(v)} {k}" for k, v in ch[p].items() if v > 0) for p in PATTERNS}
    agrees = ch[CHOR].get("broker", 0) > 0.99 and ch[ORCH].get("network", 0) > 0.99
    n = len(ev.saga)
    means = ev.infra_means()
    ms = {t: 1e3 * messaging_time(ORCH, n, transport=t, **means) for t in ("sync", "async")}
    ms[CHOR] = 1e3 * messaging_time(CHOR, n, broker_latency=means["broker_latency"])
    return row(text[CHOR], text[ORCH],
               "channel of every message: 'broker' = an event through Kafka, 'network' = a "
               "synchronous call or reply; messaging time by sl.theory.messaging_time",
               "agrees" if agrees else "depends",
               f"every choreography message went through the broker, every orchestration "
               f"message over the network. Orchestration can be asynchronous too: a completed "
               f"saga then spends {ms['async']:.0f} ms in messaging against {ms['sync']:.0f} ms "
               f"synchronous and {ms[CHOR]:.0f} ms choreographed; coordination and "
               f"communication are separate choices.", "05_latency, 09_complex_workflows")


def state(ev) -> dict:
    steps = set(ev.saga.step_names)
    share = {}
    for p in PATTERNS:
        e = ev.events(p)
        outcomes = e[e["source"].isin(steps) & e["kind"].isin(["success", "failure",
                                                              "compensation", "reply"])]
        share[p] = _share_best_participant(outcomes, sides=("target",))
    agrees = share[ORCH] >= 0.999 and share[CHOR] < 0.999
    return row(f"best-informed participant hears {pct(share[CHOR])} of a saga's step outcomes",
               f"best-informed participant hears {pct(share[ORCH])}",
               "share of each saga's step outcomes (success, failure, compensated) that the "
               "single best-informed participant receives",
               "agrees" if agrees else "depends",
               f"the orchestrator hears {pct(share[ORCH])} of every saga's step outcomes; "
               f"under choreography the best-informed participant hears "
               f"{pct(share[CHOR])}.", "03_orchestration")


def failure_handling(ev) -> dict:
    steps = set(ev.saga.step_names)
    share = {}
    for p in PATTERNS:
        e = ev.events(p)
        kinds = ["compensation"] if p == ORCH else ["failure", "compensation"]
        # the messages that made a service run its compensation
        trig = e[e["target"].isin(steps) & e["kind"].isin(kinds)]
        share[p] = float((trig["source"] == "orchestrator").mean()) if len(trig) else float("nan")
    if pd.isna(share[CHOR]) or pd.isna(share[ORCH]):
        return row("no compensation ran", "no compensation ran",
                   "raise a failure_p to see compensations", "depends",
                   "no saga compensated in these runs.", "06_failures")
    agrees = share[CHOR] == 0 and share[ORCH] == 1
    return row(f"{pct(1 - share[CHOR])} of compensations triggered by a service's event",
               f"{pct(share[ORCH])} triggered by an orchestrator command",
               "who sent each message that made a service run its compensation",
               "agrees" if agrees else "refuted",
               f"{pct(1 - share[CHOR])} of choreography's compensations were triggered by a "
               f"service's event, {pct(share[ORCH])} of orchestration's by an orchestrator "
               f"command; the same sagas compensate under both.", "06_failures")


def visibility(ev) -> dict:
    cov = {p: log_coverage(ev.traced[p]) for p in PATTERNS}
    one = {p: float(cov[p]["one_complete_log"]) for p in PATTERNS}
    logs = {p: float(cov[p]["logs_holding_mean"]) for p in PATTERNS}
    text = {p: f"{pct(one[p])} of sagas told whole by one log; {logs[p]:.1f} logs hold "
               f"parts of a saga" for p in PATTERNS}
    return row(text[CHOR], text[ORCH],
               "sl.log_coverage: does one participant's log hold every message of a saga, "
               "and how many logs must be merged otherwise",
               "agrees" if one[ORCH] > one[CHOR] else "refuted",
               f"one log (the orchestrator's) tells {pct(one[ORCH])} of orchestrated sagas "
               f"whole, and serves as their audit trail; one log tells {pct(one[CHOR])} of "
               f"choreographed ones, the rest need {logs[CHOR]:.1f} logs merged on average.",
               "03_orchestration")


def latency(ev) -> dict:
    reps = ev.replicated
    text, p50 = {}, {}
    for p in PATTERNS:
        s = reps[p].summary()
        p50[p] = s.loc["latency_p50", "mean"]
        text[p] = (f"p50 {1e3 * p50[p]:.1f} ms, p99 {1e3 * s.loc['latency_p99', 'mean']:.1f} "
                   f"+- {1e3 * s.loc['latency_p99', 'half_width']:.1f} ms")
    diff = reps[ORCH].runs["latency_p99"] - reps[CHOR].runs["latency_p99"]  # paired by seed
    m, _, h = mean_ci(diff.to_numpy())
    means = ev.infra_means()
    hand = {CHOR: means["broker_latency"], ORCH: 2 * means["hop"] + means["overhead"]}
    return row(text[CHOR], text[ORCH],
               f"orchestration - choreography p99, paired on the same sagas, 95% CI over "
               f"{ev.replications} replications",
               "not claimed",
               f"orchestration - choreography: p50 {1e3 * (p50[ORCH] - p50[CHOR]):+.1f} ms, "
               f"p99 {1e3 * m:+.1f} +- {1e3 * h:.1f} ms; a hand-over costs "
               f"{1e3 * hand[ORCH]:.1f} ms (two hops and a decision) against "
               f"{1e3 * hand[CHOR]:.1f} ms (one broker event) with this infrastructure.",
               "05_latency")


def messages(ev) -> dict:
    m = {p: ev.replicated[p].summary().loc["messages_per_saga", "mean"] for p in PATTERNS}
    return row(f"{m[CHOR]:.2f} messages per saga", f"{m[ORCH]:.2f} messages per saga",
               "every event, command and reply a saga causes", "not claimed",
               f"orchestration sends {m[ORCH] / m[CHOR]:.1f}x the messages: a reply and a "
               f"command per hand-over where choreography sends one event.", "01_why_sagas")
