"""sagalab: watch, measure and play with the saga patterns.

Choreography (services react to each other's events through a broker) and
orchestration (a central coordinator calls each service and compensates in
reverse order), simulated as discrete-event SimPy models of the same saga.

>>> import sagalab as sl
>>> result = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10, n_sagas=100)
>>> int(result.summary()["n"]), int(result.summary()["stuck"])
(100, 0)
"""
from . import checks, plot, scenarios, theory, widgets
from .comparison import comparison_table
from .decision import quick_comparison
from .distributions import Constant, Distribution, Exponential, LogNormal
from .engine import OUTCOMES
from .faults import Outage
from .graph_analysis import (
    add_subscriber,
    coupling,
    find_cycles,
    graph_changes,
    graph_growth,
    order_update_loop,
)
from .graphs import event_graph
from .infrastructure import Broker, Network, Orchestrator
from .messages import KINDS, PATTERNS
from .replicate import Replications, replicate
from .result import Result
from .saturation import Saturation, capacity_estimate, saturation
from .simulate import compare, simulate
from .specs import Saga, Step
from .sweep import sweep
from .trace import spans
from .visibility import log_coverage, where_is

__version__ = "0.1.0"

__all__ = [
    "Constant", "Distribution", "Exponential", "LogNormal",
    "Step", "Saga",
    "Network", "Broker", "Orchestrator", "Outage",
    "simulate", "compare", "Result",
    "scenarios", "checks", "theory", "widgets", "plot",
    "where_is", "log_coverage",
    "replicate", "Replications", "sweep", "saturation", "Saturation", "capacity_estimate",
    "comparison_table",
    "quick_comparison",
    "PATTERNS", "OUTCOMES", "KINDS",
    "event_graph", "coupling", "find_cycles", "add_subscriber", "graph_changes", "graph_growth",
    "order_update_loop", "spans",
]
