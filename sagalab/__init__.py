"""sagalab: watch, measure and play with the saga patterns.

Choreography (services react to each other's events through a broker) and
orchestration (a central coordinator calls each service and compensates in
reverse order), simulated as discrete-event SimPy models of the same saga.

>>> import sagalab as sl
>>> result = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10, n_sagas=100)
>>> int(result.summary()["n"]), int(result.summary()["stuck"])
(100, 0)
"""
from . import checks, plot, scenarios, theory, tomlio, widgets
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
    who_knows,
)
from .graphs import event_graph
from .infrastructure import Broker, Network, Orchestrator
from .isolation import pessimistic_view
from .latency import latency_breakdown, paired_difference
from .messages import KINDS, PATTERNS, SEED_PATTERNS, TRANSPORTS
from .reliability import fault_table, stuck_sagas
from .replicate import Replications, replicate
from .result import Result
from .rules import AllOf, AnyOf, Choice, Condition
from .saturation import Saturation, capacity_estimate, saturation
from .scaling import littles_law, saturation_points
from .simulate import compare, simulate
from .specs import STEP_KINDS, Saga, Step
from .state import COUNTERMEASURES, Credit, Stock
from .sweep import sweep
from .trace import spans
from .visibility import log_coverage, where_is

__version__ = "0.1.0"

__all__ = [
    "Constant", "Distribution", "Exponential", "LogNormal",
    "Step", "Saga", "Choice", "Condition", "AllOf", "AnyOf",
    "Network", "Broker", "Orchestrator", "Outage",
    "simulate", "compare", "Result",
    "scenarios", "tomlio", "checks", "theory", "widgets", "plot",
    "where_is", "log_coverage",
    "replicate", "Replications", "sweep", "saturation", "Saturation", "capacity_estimate",
    "comparison_table",
    "quick_comparison",
    "PATTERNS", "SEED_PATTERNS", "TRANSPORTS", "OUTCOMES", "KINDS", "STEP_KINDS",
    "event_graph", "coupling", "find_cycles", "add_subscriber", "graph_changes", "graph_growth",
    "order_update_loop", "spans",
    "Stock", "Credit", "COUNTERMEASURES", "pessimistic_view",
    "who_knows", "latency_breakdown", "paired_difference", "littles_law", "saturation_points",
    "fault_table", "stuck_sagas",
]
