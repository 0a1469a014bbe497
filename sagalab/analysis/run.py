"""Run a saga under a pattern: ``sl.simulate`` and ``sl.compare``."""
from __future__ import annotations

import warnings

import pandas as pd

from ..model import _validate as v
from ..model._validate import MAX_VALUE
from ..model.faults import FaultPlan
from ..model.infrastructure import Broker, Network, Orchestrator
from ..model.specs import Saga
from ..model.state import check_states
from ..sim import budget, capabilities
from ..sim.catalogue import SEED_PATTERNS, build_catalogue, check_pattern
from ..sim.draws import seed_sequence
from ..sim.engine import Engine
from . import _checks as checks
from .result import Result

__all__ = ["simulate", "compare", "NotApplicable"]


class NotApplicable(UserWarning):
    """A setting that has no effect in the pattern that runs (:mod:`sagalab.sim.capabilities`)."""


def simulate(saga: Saga, pattern: str, *, arrival_rate: float, n_sagas: int, seed=0,
             network: Network | None = None, broker: Broker | None = None,
             orchestrator: Orchestrator | None = None, trace: bool = True,
             faults=None, transport: str = "sync", state=None,
             warn_unused: bool = True, confirm_large: bool = False) -> Result:
    """Simulate ``n_sagas`` sagas arriving as a Poisson process under ``pattern``.

    Parameters
    ----------
    saga : Saga
        What each saga does (e.g. ``sl.scenarios.ecommerce()``).
    pattern : {"choreography", "orchestration", "hybrid"}
        How the services coordinate. ``"hybrid"``: the orchestrator calls
        each stage (see ``Step.stage``), the steps inside a stage chain
        through broker events.
    arrival_rate : float
        Sagas started per second (> 0).
    n_sagas : int
        How many sagas arrive (>= 1). The run lasts until every saga ended.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        The one source of randomness. The same seed replays the same sagas
        (arrivals, service times, failures) under every pattern.
    network, broker, orchestrator : optional
        Infrastructure; ``None`` means the documented defaults
        (``Network()``, ``Broker()``, ``Orchestrator()``). Choreography uses
        only the broker; orchestration only the network and orchestrator.
    trace : bool
        Record every message in ``result.events`` (turn off for very long runs).
    faults : list of Outage, optional
        Outages of services, the orchestrator or the broker (see
        :mod:`sagalab.model.faults`). Every fault and delivery setting
        (timeouts, retries, redelivery, partitions, commits, a durable log,
        compensation retries) composes with every pattern, transport and
        workflow feature; parts a run does not configure cost nothing.
    transport : {"sync", "async"}
        How the orchestrator's commands and replies travel (orchestration and
        hybrid): ``"sync"`` as synchronous network hops, ``"async"`` through
        the broker (command/reply messaging). Choreography always uses the
        broker and accepts only the default.
    state : list of Stock or Credit, optional
        Business state the steps' services keep (stock per product, credit
        per customer), with each service's isolation countermeasure (see
        :mod:`sagalab.model.state` and :mod:`sagalab.sim.ledger`); its
        operations are ``result.state``, its anomalies ``result.anomalies()``.
    warn_unused : bool
        Warn (:class:`NotApplicable`) when a setting has no effect in this
        pattern (e.g. a durable log under choreography). The settings are
        listed in ``result.params["not_applicable"]`` either way.
    confirm_large : bool
        Allow an untraced run of more than 5,000,000 sagas (``MAX_SAGAS``);
        see :mod:`sagalab.sim.budget` for what a run may cost.

    Returns
    -------
    Result

    Raises
    ------
    ValueError, TypeError
        For bad input, settings that cannot be combined, or a run that cannot
        finish in reasonable time or memory (:mod:`sagalab.sim.budget`), before
        anything runs.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=5, n_sagas=200)
    >>> len(r.sagas), set(r.sagas.outcome) <= {"completed", "compensated", "dlq", "stuck"}
    (200, True)
    """
    v.instance("simulate", "saga", saga, Saga)
    check_pattern(pattern, transport)
    rate = v.real("simulate", "arrival_rate", arrival_rate, low_open=True,
                  what="a rate > 0 sagas per second")
    n = v.count("simulate", "n_sagas", n_sagas)
    root = seed_sequence(seed)
    network = v.instance("simulate", "network", network, Network, allow_none=True) or Network()
    broker = v.instance("simulate", "broker", broker, Broker, allow_none=True) or Broker()
    orchestrator = (v.instance("simulate", "orchestrator", orchestrator, Orchestrator,
                               allow_none=True) or Orchestrator())
    v.flag("simulate", "trace", trace)
    v.flag("simulate", "confirm_large", confirm_large)
    budget.check(saga, n_sagas=n, arrival_rate=rate, trace=trace, confirm_large=confirm_large)
    plan = FaultPlan(faults, saga)
    states = check_states(state, saga)
    cat = build_catalogue(saga, pattern, transport)
    unused = capabilities.check(cat, plan, network, broker, orchestrator, states)
    if unused and warn_unused:
        warnings.warn(f"simulate({pattern!r}, transport={transport!r}): these settings have no "
                      f"effect here: " + "; ".join(unused), NotApplicable, stacklevel=2)
    params = dict(saga=saga, pattern=pattern, arrival_rate=rate, n_sagas=n, seed=seed,
                  network=network, broker=broker, orchestrator=orchestrator, trace=trace,
                  faults=plan.outages, transport=transport, state=states,
                  not_applicable=tuple(unused))
    engine = Engine(cat, arrival_rate=rate, n_sagas=n, network=network, broker=broker,
                    orchestrator=orchestrator, trace=trace, root=root, plan=plan, states=states)
    result = Result.from_engine(engine.run(), params)
    if not result.params["duration"] <= MAX_VALUE:
        warnings.warn(f"simulate: the run lasted {result.params['duration']:.3g} s, beyond "
                      f"{MAX_VALUE:g} s (MAX_VALUE): the sagas queued far longer than they "
                      f"arrived (arrival_rate={rate:g} is far above what the stations can "
                      f"serve), and at such times the time columns lose precision",
                      RuntimeWarning, stacklevel=2)
    return result


def compare(saga: Saga, patterns=SEED_PATTERNS,
            **simulate_kwargs) -> pd.DataFrame:
    """Summaries of the same sagas under several patterns, side by side.

    Every pattern replays the same seed, hence the same sagas (common random
    numbers): a difference between columns is the patterns' difference.
    The default compares the seed's two patterns; pass
    ``patterns=sl.PATTERNS`` to add ``"hybrid"``.

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.compare(sl.scenarios.ecommerce(), arrival_rate=5, n_sagas=300)
    >>> list(t.columns)
    ['choreography', 'orchestration']
    >>> bool((t.loc["completed"] == t.loc["completed"].iloc[0]).all())  # same sagas fail
    True
    >>> t.attrs["not_applicable"]["orchestration"]
    ()

    Settings that have no effect in one of the patterns (the broker under
    synchronous orchestration, the orchestrator under choreography) are not
    warned about: one set of settings serves every pattern. The table's
    ``attrs["not_applicable"]`` lists them per pattern.
    """
    v.instance("compare", "saga", saga, Saga)
    patterns = checks.patterns("compare", patterns)
    checks.simulate_keywords("compare", simulate_kwargs, simulate, reserved=("pattern",))
    simulate_kwargs.setdefault("warn_unused", False)
    runs = {p: simulate(saga, p, **simulate_kwargs) for p in patterns}
    table = pd.concat([r.summary() for r in runs.values()], axis=1)
    table.attrs["not_applicable"] = {p: r.params["not_applicable"] for p, r in runs.items()}
    return table
