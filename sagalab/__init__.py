"""sagalab: watch, measure and play with the saga patterns.

Choreography (services react to each other's events through a broker) and
orchestration (a central coordinator calls each service and compensates in
reverse order), simulated as discrete-event SimPy models of the same saga.

>>> import sagalab as sl
>>> result = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10, n_sagas=100)
>>> int(result.summary()["n"]), int(result.summary()["stuck"])
(100, 0)
"""
from . import scenarios, tomlio
from .distributions import Constant, Distribution, Exponential, LogNormal
from .engine import OUTCOMES
from .infrastructure import Broker, Network, Orchestrator
from .messages import KINDS, PATTERNS, TRANSPORTS
from .result import Result
from .rules import AllOf, AnyOf, Choice, Condition
from .simulate import compare, simulate
from .specs import STEP_KINDS, Saga, Step

__version__ = "0.1.0"

__all__ = [
    "Constant", "Distribution", "Exponential", "LogNormal",
    "Step", "Saga", "Choice", "Condition", "AllOf", "AnyOf",
    "Network", "Broker", "Orchestrator",
    "simulate", "compare", "Result",
    "scenarios", "tomlio",
    "PATTERNS", "TRANSPORTS", "OUTCOMES", "KINDS", "STEP_KINDS",
]
