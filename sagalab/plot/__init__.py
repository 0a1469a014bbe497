"""Plots of sagas, runs and event graphs (matplotlib only).

Every function takes an optional ``ax`` (or a pair of Axes where it draws two
panels), returns what it drew on, titles it and labels its axes with units.
Colours are defined once, in :data:`PATTERN_COLORS` (one per pattern, across
the whole series), :data:`KIND_COLORS` (one per message kind),
:data:`PHASE_COLORS` and :data:`COUNTERMEASURE_COLORS`, from the
colour-blind-safe Okabe-Ito palette; within a figure every series has a
colour of its own (variants of a pattern in shades of its colour). Plots
read Results and graphs; they never run a simulation.
"""
from ._style import (
    COUNTERMEASURE_COLORS,
    KIND_COLORS,
    OKABE_ITO,
    PATTERN_COLORS,
    PHASE_COLORS,
    ramp,
    variant,
)
from .charts import latency, outcomes, throughput_latency, utilization
from .faults import in_flight, inconsistency
from .graph import event_graph, layout
from .isolation import anomalies, balance, isolation_costs
from .measures import COMPONENT_COLORS, breakdown, growth, load_curves, station_load, who_knows
from .traces import sequence, timeline

__all__ = ["PATTERN_COLORS", "KIND_COLORS", "PHASE_COLORS", "COUNTERMEASURE_COLORS", "OKABE_ITO",
           "ramp", "variant", "event_graph", "layout",
           "sequence", "timeline", "latency", "outcomes", "utilization", "throughput_latency",
           "COMPONENT_COLORS", "who_knows", "growth", "breakdown", "load_curves", "station_load",
           "inconsistency", "in_flight", "anomalies", "isolation_costs", "balance"]
