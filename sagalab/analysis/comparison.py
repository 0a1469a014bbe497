"""The seed's Summary Table, rebuilt row by row with measured evidence.

The seed document ends with a table of eleven claims ("Coupling: loose vs
tight", "Single Point of Failure: no vs yes", "Use Case: simple vs complex
workflows", ...). :func:`comparison_table` puts, next to each claim, what
the model measures, a verdict and a finding: one sentence, computed from
the measurements, with the numbers and the notebook that shows them.
Verdicts:

* ``agrees``: the measurements show what both claims say;
* ``nuanced``: the claims hold, but the evidence adds a qualification that
  changes a decision (for instance *which* participants are coupled);
* ``refuted``: the evidence contradicts at least one of the two claims;
* ``depends``: it holds or not with the parameters; the finding says where
  it flips;
* ``not claimed``: a measured row the seed's table does not have (latency,
  messages).

Each row is a function of an :class:`Evidence` (the runs, computed on first
use and shared) registered in :data:`ROWS`. The evidence notebooks show the
rows they measure with the same call (``sl.comparison_table(saga,
rows=[...])`` and the same settings), so notebook 10 and notebooks 03 to 09
cannot disagree; ``tests/test_guide.py`` checks that they do not.
"""
from __future__ import annotations

from functools import cached_property, lru_cache

import pandas as pd

from ..model import _validate
from ..model.infrastructure import Broker, Network, Orchestrator
from ..model.specs import Saga
from ..sim.catalogue import SEED_PATTERNS as PATTERNS  # the table compares the seed's two
from . import _checks as checks
from . import comparison_faults, comparison_graphs, comparison_rows, use_case
from .replicate import replicate
from .run import simulate
from .runner import SERIAL
from .saturation import saturation

__all__ = ["comparison_table", "when_to_use", "verdicts", "Verdicts", "Evidence", "ROWS",
           "SEED_CLAIMS", "VERDICTS", "GUIDE"]

CHOR, ORCH = PATTERNS
VERDICTS = ("agrees", "nuanced", "refuted", "depends", "not claimed")
#: The seed's Summary Table: aspect -> (choreography claim, orchestration claim).
SEED_CLAIMS = {
    "Coordination": ("Decentralized (events)", "Centralized (orchestrator)"),
    "Communication": ("Async (Kafka)", "Sync (HTTP) or Async"),
    "Coupling": ("Loose", "Tight"),
    "Complexity": ("Distributed", "Centralized"),
    "State": ("No central state", "Orchestrator tracks state"),
    "Failure Handling": ("Event-driven compensation", "Orchestrator triggers compensation"),
    "Testing": ("Integration tests", "Unit test orchestrator"),
    "Visibility": ("Hard (distributed logs)", "Easy (orchestrator logs)"),
    "Single Point of Failure": ("No", "Yes (orchestrator)"),
    "Scalability": ("Excellent", "Orchestrator can bottleneck"),
    "Use Case": ("Simple workflows", "Complex workflows"),
}
COLUMNS = ("choreography_claim", "orchestration_claim", "choreography_measured",
           "orchestration_measured", "evidence", "verdict", "finding", "notebook")
#: The decision guide's settings (notebook 10); the evidence notebooks use the same.
GUIDE = dict(arrival_rate=20.0, n_sagas=1000, replications=3, seed=0)


@lru_cache(maxsize=16)
def _saturation(saga, pattern, replications, n_sagas, seed, warmup, executor, infra):
    """The simulated saturation search, shared by tables that ask for the same one."""
    return saturation(saga, pattern, replications=replications, n_sagas=n_sagas, seed=seed,
                      warmup=warmup, rtol=0.02, executor=executor, **dict(infra))


class Evidence:
    """The runs behind a comparison table, each computed on first use and shared by the rows.

    ``traced[pattern]``: one traced run (``Result``) per pattern, same seed;
    ``replicated[pattern]``: ``Replications``; ``saturation[pattern]``:
    ``Saturation`` (the simulated search).
    """

    def __init__(self, saga: Saga, *, arrival_rate, n_sagas, replications, seed, warmup,
                 executor, infra: dict):
        self.saga, self.arrival_rate, self.n_sagas = saga, arrival_rate, n_sagas
        self.replications, self.seed, self.warmup = replications, seed, warmup
        self.executor, self.infra = executor, infra

    def infra_for(self, pattern: str, transport: str = "sync") -> dict:
        """The infrastructure that applies to ``pattern``: choreography has no orchestrator
        and sends no synchronous calls; synchronous orchestration sends nothing through the
        broker (so no run warns of a setting it cannot use)."""
        unused = ({"orchestrator", "network"} if pattern == CHOR else
                  {"broker"} if transport == "sync" else {"network"})
        return {k: v for k, v in self.infra.items() if k not in unused}

    @cached_property
    def traced(self) -> dict:
        return {p: simulate(self.saga, p, arrival_rate=self.arrival_rate, n_sagas=self.n_sagas,
                            seed=self.seed, trace=True, **self.infra_for(p)) for p in PATTERNS}

    @cached_property
    def replicated(self) -> dict:
        return {p: replicate(self.saga, p, self.replications, seed=self.seed,
                             warmup=self.warmup, executor=self.executor,
                             arrival_rate=self.arrival_rate, n_sagas=self.n_sagas,
                             **self.infra_for(p))
                for p in PATTERNS}

    @cached_property
    def saturation(self) -> dict:
        return {p: _saturation(self.saga, p, min(self.replications, 3), self.n_sagas,
                               self.seed, self.warmup, self.executor,
                               tuple(sorted(self.infra_for(p).items())))
                for p in PATTERNS}

    def infra_means(self) -> dict:
        """Mean hop, broker latency and decision time of this table's infrastructure."""
        net = self.infra.get("network") or Network()
        broker = self.infra.get("broker") or Broker()
        orch = self.infra.get("orchestrator") or Orchestrator()
        return {"hop": net.hop.mean, "broker_latency": broker.latency.mean,
                "overhead": orch.overhead.mean}

    def events(self, pattern: str) -> pd.DataFrame:
        ev = self.traced[pattern].events
        return ev.assign(source=ev["source"].astype(str), target=ev["target"].astype(str))


#: Row functions in table order: aspect -> function(Evidence) -> dict of measured columns.
ROWS = {
    "Coordination": comparison_rows.coordination,
    "Communication": comparison_rows.communication,
    "Coupling": comparison_graphs.coupling_row,
    "Complexity": comparison_graphs.complexity_row,
    "State": comparison_rows.state,
    "Failure Handling": comparison_rows.failure_handling,
    "Testing": comparison_graphs.row_for_testing,
    "Visibility": comparison_rows.visibility,
    "Single Point of Failure": comparison_faults.single_point_of_failure_row,
    "Scalability": comparison_faults.scalability_row,
    "Use Case": use_case.use_case_row,
    "Latency": comparison_rows.latency,
    "Messages": comparison_rows.messages,
}


def comparison_table(saga: Saga, *, arrival_rate: float = GUIDE["arrival_rate"],
                     n_sagas: int = GUIDE["n_sagas"],
                     replications: int = GUIDE["replications"], seed=GUIDE["seed"],
                     warmup: int | float = 0.1, rows=None, executor=SERIAL, network=None,
                     broker=None, orchestrator=None) -> pd.DataFrame:
    """The seed's Summary Table with measured evidence, a verdict and a finding per claim.

    Parameters
    ----------
    saga : Saga
    arrival_rate : float
        Load of the traced and replicated runs (sagas/s).
    n_sagas, replications, seed, warmup
        Size of each run, runs per pattern, root seed, warm-up cut. The
        defaults (:data:`GUIDE`) are the decision guide's: an evidence
        notebook that shows a row with them shows the guide's numbers.
    rows : sequence of str, optional
        Aspects to include (keys of :data:`ROWS`, default all). Each row runs
        only what it needs: ``"Scalability"`` searches the saturation points
        (the slow part), ``"Coupling"``, ``"Complexity"`` and ``"Testing"``
        read event graphs and run nothing.
    executor
        Where replicated runs execute (as for :func:`sagalab.replicate`).
    network, broker, orchestrator : optional
        Infrastructure, as for :func:`sagalab.simulate`.

    Returns
    -------
    pandas.DataFrame
        Indexed by aspect; columns ``choreography_claim``,
        ``orchestration_claim`` (the seed's words, ``-`` for a row it does
        not have), ``choreography_measured``, ``orchestration_measured``,
        ``evidence`` (how it was measured), ``verdict`` (one of
        :data:`VERDICTS`), ``finding`` (a sentence with the numbers) and
        ``notebook`` (where the series measures it). Show it with
        :func:`verdicts`.

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.comparison_table(sl.scenarios.ecommerce(), rows=["Coordination", "Coupling"],
    ...                         n_sagas=300)
    >>> t["verdict"].tolist()
    ['agrees', 'nuanced']
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
    ev = _evidence(saga, arrival_rate, n_sagas, replications, seed, warmup, executor,
                   network, broker, orchestrator)
    records = {}
    for aspect in rows:
        claim = SEED_CLAIMS.get(aspect, ("-", "-"))
        records[aspect] = dict(zip(COLUMNS[:2], claim), **ROWS[aspect](ev))
    table = pd.DataFrame.from_dict(records, orient="index", columns=list(COLUMNS))
    table.index.name = "aspect"
    return table


def _evidence(saga, arrival_rate, n_sagas, replications, seed, warmup, executor, network,
              broker, orchestrator) -> Evidence:
    infra = {k: v for k, v in dict(network=network, broker=broker,
                                   orchestrator=orchestrator).items() if v is not None}
    return Evidence(saga, arrival_rate=arrival_rate, n_sagas=n_sagas, replications=replications,
                    seed=seed, warmup=warmup, executor=executor, infra=infra)


def when_to_use(saga: Saga, *, arrival_rate: float = GUIDE["arrival_rate"],
                n_sagas: int = GUIDE["n_sagas"], seed=GUIDE["seed"], network=None, broker=None,
                orchestrator=None) -> pd.DataFrame:
    """The seed's "when to use each" rules, each with its measured evidence and a verdict.

    The evidence is the Use Case row's (:mod:`sagalab.analysis.use_case`):
    the seed's user onboarding, travel booking and loan approval under both
    patterns, the event graphs, and ``saga``'s logs (for saga state and the
    audit trail). Settings as for :func:`comparison_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by rule: ``pattern`` (the one the seed recommends),
        ``evidence``, ``verdict`` and ``notebook``.

    Examples
    --------
    >>> import sagalab as sl
    >>> rules = sl.when_to_use(sl.scenarios.ecommerce(), n_sagas=200)
    >>> rules.loc["Complex business logic", "verdict"]
    'agrees'
    """
    ev = _evidence(saga, arrival_rate, n_sagas, 1, seed, 0.1, SERIAL, network, broker,
                   orchestrator)
    return use_case.use_case_rules(ev)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _links(notebooks: str) -> str:
    return ", ".join(f"[{n[:2]}]({n}.ipynb)" for n in notebooks.split(", "))


class Verdicts:
    """A comparison table (or the "when to use" rules) shown for reading.

    Jupyter shows it as a Markdown table whose notebook numbers link to the
    notebooks; ``repr`` gives the same rows as plain text.
    """

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self.rules = "pattern" in table.columns  # a when_to_use table

    def rows(self) -> list[tuple[str, ...]]:
        """One tuple per row: its cells as shown, the notebooks last."""
        t = self.table
        if self.rules:
            return [(r, t.loc[r, "pattern"], t.loc[r, "verdict"], _cap(t.loc[r, "evidence"]),
                     t.loc[r, "notebook"]) for r in t.index]
        return [(a, t.loc[a, "choreography_claim"], t.loc[a, "orchestration_claim"],
                 t.loc[a, "verdict"], _cap(t.loc[a, "finding"]), t.loc[a, "notebook"])
                for a in t.index]

    def _repr_markdown_(self) -> str:
        head = ("| the seed's rule | for | verdict | what the evidence shows | notebook |"
                if self.rules else
                "| aspect | the seed: choreography | the seed: orchestration | verdict | "
                "what the evidence shows | notebook |")
        lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
        for *cells, nb in self.rows():
            first, *rest = cells
            verdict = rest[-2]
            rest[-2] = f"**{verdict}**"
            lines.append(f"| **{first}** | " + " | ".join(rest) + f" | {_links(nb)} |")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "\n".join(f"{cells[0]}: {cells[-2]}. {cells[-1]} ({nb})"
                         for *cells, nb in self.rows())


def verdicts(table: pd.DataFrame) -> Verdicts:
    """Show a :func:`comparison_table` or :func:`when_to_use` for reading (Markdown in Jupyter).

    Examples
    --------
    >>> import sagalab as sl
    >>> t = sl.comparison_table(sl.scenarios.ecommerce(), rows=["Complexity"])
    >>> print(repr(sl.verdicts(t)).split(".")[0])
    Complexity: agrees
    """
    return Verdicts(table)
