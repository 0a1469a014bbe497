"""The seed's "When to use each", measured: the Use Case row and the rules behind it.

The seed recommends choreography for simple workflows (2-4 steps), for
independent services, when Kafka is already there and for loose coupling;
orchestration for complex workflows (5+ steps), when the saga's state must
be tracked, for complex business rules, for clear ownership and (its Phase 5
list) for an audit trail. :func:`use_case_rules` checks each rule against
the evidence of notebooks 03, 04, 08 and 09, on the seed's own scenarios:
user onboarding (its simple choreography example), travel booking (its
complex workflow, with four bookings that both patterns run at once: the
difference is who joins them) and loan approval (its rules).
:func:`use_case_row` sums them up for the Summary Table's "Use Case" row.
"""
from __future__ import annotations

from functools import cached_property

import pandas as pd

from ..model import scenarios
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the seed's two, side by side
from .comparison_graphs import coupling_numbers, growth_summary, join_numbers
from .comparison_rows import pct, row
from .graphs import event_graph
from .run import simulate
from .theory import messaging_time
from .visibility import log_coverage

__all__ = ["UseCaseEvidence", "use_case_rules", "use_case_row", "rule_holders",
           "TRAVEL_RATE", "ONBOARDING_RATE"]

CHOR, ORCH = PATTERNS
TRAVEL_RATE = 3.0       # trips per second (notebook 09)
ONBOARDING_RATE = 10.0  # sign-ups per second


def rule_holders(saga, pattern: str) -> list[str]:
    """Participants that evaluate a step's condition: where a business rule lives.

    Under choreography a consumer filters the event and passes a
    ``<Name>Skipped`` event on; under orchestration the orchestrator decides
    and sends no command.
    """
    g = event_graph(saga, pattern)
    skip = {u for u, _, d in g.edges(data=True)
            if d["name"].endswith("Skipped") and not d["name"].endswith("CompensationSkipped")
            and g.nodes[u]["role"] != "topic"}
    if any(s.when is not None for s in saga.steps) and "orchestrator" in g.nodes:
        skip.add("orchestrator")
    return sorted(skip)


class UseCaseEvidence:
    """The runs and readings behind the Use Case row, shared with :func:`use_case_rules`."""

    def __init__(self, ev):
        self.ev = ev
        self.kw = dict(n_sagas=ev.n_sagas, seed=ev.seed, trace=False)

    def _summaries(self, saga, rate) -> dict:
        return {p: simulate(saga, p, arrival_rate=rate, **self.kw,
                            **self.ev.infra_for(p)).summary(warmup=0.1)
                for p in PATTERNS}

    @cached_property
    def travel(self) -> dict:
        return self._summaries(scenarios.travel_booking(), TRAVEL_RATE)

    @cached_property
    def onboarding(self) -> dict:
        return self._summaries(scenarios.user_onboarding(), ONBOARDING_RATE)

    @cached_property
    def join(self) -> dict:
        return join_numbers(scenarios.travel_booking())

    def parallel(self) -> str:
        """Travel booking's parallel bookings: both patterns fan out, who joins differs."""
        trip = {p: self.travel[p]["latency_p50"] for p in PATTERNS}
        msgs = {p: self.travel[p]["messages_per_saga"] for p in PATTERNS}
        j = self.join
        return (f"parallel steps run at once in both patterns (travel booking's "
                f"{len(j['members'])} bookings: median trip {trip[ORCH]:.2f} s orchestrated "
                f"against {trip[CHOR]:.2f} s choreographed, at {msgs[ORCH]:.1f} against "
                f"{msgs[CHOR]:.1f} messages); what differs is who joins them: under "
                f"choreography {j['join']} subscribes to all {j['join_knows']} bookings' "
                f"topics and each booking to its {j['sibling_knows']} siblings' failures, "
                f"under orchestration the orchestrator alone fans out and joins")

    @cached_property
    def rules(self) -> dict:
        return {p: rule_holders(scenarios.loan_approval(), p) for p in PATTERNS}

    @cached_property
    def coverage(self) -> dict:
        return {p: log_coverage(self.ev.traced[p]) for p in PATTERNS}

    @cached_property
    def growth(self) -> str:
        return growth_summary()["phrase"].split(": ", 1)[0]

    @cached_property
    def coupling(self) -> pd.DataFrame:
        return coupling_numbers(self.ev.saga)

    def messaging(self) -> dict:
        means, n = self.ev.infra_means(), len(self.ev.saga)
        out = {t: 1e3 * messaging_time(ORCH, n, transport=t, **means) for t in ("sync", "async")}
        out[CHOR] = 1e3 * messaging_time(CHOR, n, broker_latency=means["broker_latency"])
        return out


def _evidence(ev) -> UseCaseEvidence:
    if "_use_case" not in ev.__dict__:
        ev.__dict__["_use_case"] = UseCaseEvidence(ev)
    return ev.__dict__["_use_case"]


def use_case_rules(ev) -> pd.DataFrame:
    """Each of the seed's "when to use" rules with its measured evidence and a verdict.

    Returns
    -------
    pandas.DataFrame
        Indexed by rule; columns ``pattern`` (the one the seed recommends),
        ``evidence`` (a sentence with the numbers), ``verdict`` and
        ``notebook``.
    """
    u = _evidence(ev)
    on = u.onboarding
    m = {p: on[p]["messages_per_saga"] for p in PATTERNS}
    lat = {p: 1e3 * on[p]["latency_p50"] for p in PATTERNS}
    msg = u.messaging()
    c = u.coupling
    one = {p: float(u.coverage[p]["one_complete_log"]) for p in PATTERNS}
    holders = u.rules
    faster = "faster" if lat[CHOR] < lat[ORCH] else "slower"
    simple = ("agrees" if m[CHOR] < m[ORCH] and lat[CHOR] <= 1.02 * lat[ORCH] else "nuanced")
    rules = [
        ("Simple workflows (2-4 steps)", CHOR, simple,
         f"user onboarding (2 steps): choreography sends {m[CHOR]:.1f} messages per sign-up "
         f"against {m[ORCH]:.1f}, and its median sign-up is {abs(lat[CHOR] - lat[ORCH]):.1f} "
         f"ms {faster} ({lat[CHOR]:.1f} against {lat[ORCH]:.1f} ms: one broker event per "
         f"hand-over against two hops and a decision)", "09_complex_workflows, 05_latency"),
        ("Services are independent", CHOR, "agrees",
         f"with no rule between the steps (user onboarding) no consumer filters an event; "
         f"when a rule links them (loan approval) {len(holders[CHOR])} services hold a part of "
         f"it under choreography ({', '.join(holders[CHOR])})", "09_complex_workflows"),
        ("Already using Kafka", CHOR, "agrees",
         f"on Kafka, choreography is the cheaper way to coordinate: {msg[CHOR]:.0f} ms of "
         f"messaging per completed saga, against {msg['async']:.0f} ms for orchestration over "
         f"the same broker (two trips and a decision per hand-over); synchronous "
         f"orchestration, without Kafka, takes {msg['sync']:.0f} ms", "09_complex_workflows"),
        ("Want loose coupling (easy to add subscribers)", CHOR, "nuanced",
         f"a new subscriber changes {c.loc[CHOR, 'subscriber_changes']} existing participants "
         f"against {c.loc[ORCH, 'subscriber_changes']}; but each service knows up to "
         f"{c.loc[CHOR, 'service_max']} others under choreography, "
         f"{c.loc[ORCH, 'service_max']} under orchestration", "04_coupling"),
        ("Complex workflows (5+ steps)", ORCH, "nuanced",
         f"the step count decides nothing: dependencies {u.growth}; and "
         f"{u.parallel()}", "04_coupling, 09_complex_workflows"),
        ("Need saga state (track, show, resume)", ORCH, "agrees",
         f"one log answers 'where is saga 42?' for {pct(one[ORCH])} of orchestrated sagas, "
         f"{pct(one[CHOR])} of choreographed ones; resuming after a crash needs the "
         f"orchestrator's durable log", "03_orchestration, 08_single_point_of_failure"),
        ("Complex business logic", ORCH, "agrees",
         f"loan approval's rules live in {len(holders[ORCH])} place under orchestration (the "
         f"orchestrator), in {len(holders[CHOR])} services under choreography",
         "09_complex_workflows"),
        ("Clear ownership (one team owns the flow)", ORCH, "not measured",
         "ownership is organisational; what the model shows is where the flow's code lives: "
         "in one participant, or spread over every service that passes the saga on",
         "04_coupling"),
        ("Required audit trail of saga execution", ORCH, "agrees",
         f"the orchestrator's log is a complete audit trail of {pct(one[ORCH])} of sagas; "
         f"under choreography one log is complete for {pct(one[CHOR])}, the rest must be "
         f"merged from the services' logs", "03_orchestration"),
    ]
    table = pd.DataFrame(rules, columns=["rule", "pattern", "verdict", "evidence", "notebook"])
    return table.set_index("rule")[["pattern", "evidence", "verdict", "notebook"]]


def use_case_row(ev) -> dict:
    u = _evidence(ev)
    on, tr = u.onboarding, u.travel
    m = {p: on[p]["messages_per_saga"] for p in PATTERNS}
    trip = {p: tr[p]["latency_p50"] for p in PATTERNS}
    holders = u.rules
    j = u.join
    return row(f"user onboarding: {m[CHOR]:.1f} messages per sign-up; travel booking: median "
               f"trip {trip[CHOR]:.2f} s, joined by {j['join']} (it knows "
               f"{j['join_knows']} bookings); loan rules held by {len(holders[CHOR])} services",
               f"user onboarding: {m[ORCH]:.1f} messages per sign-up; travel booking: median "
               f"trip {trip[ORCH]:.2f} s, joined by the orchestrator; loan rules held by "
               f"{len(holders[ORCH])} participant",
               "the seed's scenarios under both patterns (user onboarding, travel booking, "
               "loan approval), the event graphs' growth and joins, and each 'when to use' "
               "rule (sl.when_to_use)",
               "nuanced",
               f"the step count decides nothing (dependencies {u.growth}), and "
               f"{u.parallel()}. What favours orchestration is the join in one place, "
               f"business rules in one place (loan approval: {len(holders[CHOR])} services "
               f"hold a part under choreography) and saga state; what favours choreography "
               f"on a simple flow is fewer messages (user onboarding: {m[CHOR]:.1f} against "
               f"{m[ORCH]:.1f} per sign-up).",
               "09_complex_workflows")
