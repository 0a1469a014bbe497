"""The one capability check: which settings a run can use, and which have no meaning.

Every feature of the simulator composes with every other, so almost every
combination runs. This module is the single place that says otherwise, once,
before anything runs:

* :func:`refusals` lists the combinations that have no meaning (they raise
  one ``ValueError`` naming the features that conflict and why);
* :func:`not_applicable` lists the settings that merely do not apply to the
  pattern that runs (an orchestrator's durable log under choreography, the
  broker's redelivery under synchronous orchestration): ``sl.simulate``
  warns once, naming them, and records them in ``result.params``.
"""
from __future__ import annotations

from ..model.faults import BROKER, ORCHESTRATOR
from ..model.infrastructure import Broker, Network, Orchestrator

__all__ = ["refusals", "not_applicable", "check"]


def refusals(cat, plan, network, broker, orchestrator, states) -> list[str]:
    """Combinations with no meaning, each as a sentence naming the features."""
    out = []
    for s in states:
        step = cat.saga.step(s.step)
        if step.kind == "retriable":
            out.append(f"state {type(s).__name__}(step={s.step!r}) with Step({s.step!r}, "
                       f"kind='retriable'): a retriable step never fails on a business rule, "
                       f"but its {type(s).__name__.lower()} would refuse it when short")
    return out


def _changed(spec, default, fields) -> list[str]:
    return [f"{type(spec).__name__}({f}={getattr(spec, f)!r})" for f in fields
            if getattr(spec, f) != getattr(default, f)]


def not_applicable(cat, plan, network, broker, orchestrator, states) -> list[str]:
    """Settings that do nothing in this run, each with the reason."""
    out = []
    transport = cat.transport
    calls = cat.orchestrated and any(st.call for st in cat.stages)
    uses_broker = not cat.orchestrated or transport == "async" or cat.has_chains
    net_fields = []
    if not cat.orchestrated or transport == "async":
        net_fields = ["hop", "timeout", "retries", "backoff"]
    elif not calls:
        net_fields = ["timeout", "retries", "backoff"]
    why_net = ("choreography sends no synchronous calls" if not cat.orchestrated else
               "asynchronous transport sends commands and replies through the broker"
               if transport == "async" else
               "every stage is a multi-step stage, which the orchestrator does not time out")
    out += [f"{s}: {why_net}" for s in _changed(network, Network(), net_fields)]
    if not uses_broker:
        why = "synchronous orchestration sends nothing through the broker"
        out += [f"{s}: {why}" for s in _changed(broker, Broker(), [
            "latency", "redelivery_p", "partitions", "commit_every", "commit_interval"])]
        if plan and plan.hits(BROKER):
            out.append(f"Outage('broker'): {why}")
        out += [f"Step({s.name!r}, outbox=False): its answers are synchronous replies, "
                f"nothing is published" for s in cat.saga.steps if not s.outbox]
    if not cat.orchestrated:
        why = "choreography has no orchestrator"
        out += [f"{s}: {why}" for s in _changed(orchestrator, Orchestrator(), [
            "capacity", "overhead", "durable_log", "log_latency", "compensate_unknown"])]
        if plan and plan.hits(ORCHESTRATOR):
            out.append(f"Outage('orchestrator'): {why}")
    elif transport == "async" and not orchestrator.compensate_unknown:
        out.append("Orchestrator(compensate_unknown=False): asynchronous calls never end "
                   "with an unknown outcome")
    return out


def check(cat, plan, network, broker, orchestrator, states) -> list[str]:
    """Raise for a combination with no meaning; return the not-applicable settings."""
    bad = refusals(cat, plan, network, broker, orchestrator, states)
    if bad:
        raise ValueError("simulate: these settings cannot be combined: " + "; ".join(bad))
    return not_applicable(cat, plan, network, broker, orchestrator, states)
