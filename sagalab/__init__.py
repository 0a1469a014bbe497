"""sagalab: watch, measure and play with the saga patterns.

Choreography (services react to each other's events through a broker) and
orchestration (a central coordinator calls each service and compensates in
reverse order), simulated as discrete-event SimPy models of the same saga.

>>> import sagalab as sl
>>> result = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10, n_sagas=100)
>>> int(result.summary()["n"]), int(result.summary()["stuck"])
(100, 0)
"""
from .analysis import theory
from .analysis.comparison import comparison_table, verdicts, when_to_use
from .analysis.comparison_graphs import saga_paths
from .analysis.decision import quick_comparison
from .analysis.graph_analysis import (
    add_subscriber,
    coupling,
    find_cycles,
    graph_changes,
    graph_growth,
    order_update_loop,
    who_knows,
)
from .analysis.graphs import event_graph
from .analysis.latency import latency_breakdown, paired_difference
from .analysis.reliability import fault_table, stuck_sagas
from .analysis.replicate import Replications, replicate
from .analysis.result import Result
from .analysis.run import NotApplicable, compare, simulate
from .analysis.saturation import Saturation, capacity_estimate, saturation
from .analysis.scaling import littles_law, saturation_points
from .analysis.sweep import sweep
from .analysis.trace import spans
from .analysis.visibility import log_coverage, where_is
from .model import scenarios, tomlio
from .model.distributions import Constant, Distribution, Exponential, LogNormal
from .model.faults import Outage
from .model.infrastructure import Broker, Network, Orchestrator
from .model.rules import AllOf, AnyOf, Choice, Condition
from .model.specs import STEP_KINDS, Saga, Step
from .model.state import COUNTERMEASURES, Credit, Stock, pessimistic_view
from .sim.catalogue import KINDS, PATTERNS, SEED_PATTERNS, TRANSPORTS
from .sim.record import OUTCOMES
from .ui import checks

__version__ = "0.1.0"

# Drawing and widgets load matplotlib.pyplot and ipywidgets: only when first used, so that
# ``import sagalab`` stays light (sweep workers start fast).
_LAZY = {"plot": "sagalab.plot", "widgets": "sagalab.ui.widgets", "live": "sagalab.live"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'sagalab' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

__all__ = [
    "Constant", "Distribution", "Exponential", "LogNormal",
    "Step", "Saga", "Choice", "Condition", "AllOf", "AnyOf",
    "Network", "Broker", "Orchestrator", "Outage",
    "simulate", "compare", "Result", "NotApplicable",
    "scenarios", "tomlio", "checks", "theory", "widgets", "plot",
    "where_is", "log_coverage",
    "replicate", "Replications", "sweep", "saturation", "Saturation", "capacity_estimate",
    "comparison_table", "verdicts", "when_to_use", "saga_paths",
    "quick_comparison",
    "PATTERNS", "SEED_PATTERNS", "TRANSPORTS", "OUTCOMES", "KINDS", "STEP_KINDS",
    "event_graph", "coupling", "find_cycles", "add_subscriber", "graph_changes", "graph_growth",
    "order_update_loop", "spans",
    "Stock", "Credit", "COUNTERMEASURES", "pessimistic_view",
    "who_knows", "latency_breakdown", "paired_difference", "littles_law", "saturation_points",
    "fault_table", "stuck_sagas", "live",
]
