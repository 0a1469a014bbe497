"""What a run may cost: refused up front when it cannot finish in reasonable time or memory.

A run keeps a few dozen bytes per saga (one record, see
:mod:`sagalab.sim.record`) and, when traced, a few dozen per message. Its
simulated times are floats: beyond about a billion seconds they lose the
microseconds the time columns need to add up. :func:`check` refuses, before
anything runs, what would exhaust memory, run for hours or lose precision,
naming the setting, the estimate and the limit:

=======================  ============  ============================================
limit                    value         what it bounds
=======================  ============  ============================================
``MAX_TRACED_SAGAS``     1,000,000     sagas of a traced run (``trace=True``)
``MAX_SAGAS``            5,000,000     sagas of an untraced run, unless
                                       ``confirm_large=True``
``MAX_LARGE_SAGAS``      50,000,000    sagas of a confirmed run (about 6 GB)
``MAX_ATTEMPTS``         50,000,000    expected step attempts of a run (retriable
                                       steps are tried ``1 / (1 - p)`` times)
``MAX_VALUE``            1e9 s         how long the arrivals may last
                                       (``n_sagas / arrival_rate``)
=======================  ============  ============================================
"""
from __future__ import annotations

from ..model._validate import MAX_VALUE

__all__ = ["check", "MAX_TRACED_SAGAS", "MAX_SAGAS", "MAX_LARGE_SAGAS", "MAX_ATTEMPTS"]

MAX_TRACED_SAGAS = 1_000_000
MAX_SAGAS = 5_000_000
MAX_LARGE_SAGAS = 50_000_000
MAX_ATTEMPTS = 50_000_000


def expected_attempts(saga) -> float:
    """Step attempts one saga makes at most, on average (retries of retriable steps counted)."""
    return sum(1.0 / (1.0 - s.failure_p) if s.kind == "retriable" else 1.0 for s in saga.steps)


def check(saga, *, n_sagas: int, arrival_rate: float, trace: bool, confirm_large: bool,
          owner: str = "simulate") -> None:
    """Raise ``ValueError`` for a run that cannot finish in reasonable time or memory."""
    if trace and n_sagas > MAX_TRACED_SAGAS:
        raise ValueError(f"{owner}: n_sagas={n_sagas:,} with trace=True would keep every "
                         f"message of every saga (several GB); at most {MAX_TRACED_SAGAS:,} "
                         f"traced sagas (MAX_TRACED_SAGAS): pass trace=False for longer runs")
    if n_sagas > MAX_SAGAS and not confirm_large:
        raise ValueError(f"{owner}: n_sagas={n_sagas:,} keeps about {n_sagas * 120 / 1e9:.1f} "
                         f"GB of saga records and runs for a long time; above {MAX_SAGAS:,} "
                         f"(MAX_SAGAS) confirm with confirm_large=True")
    if n_sagas > MAX_LARGE_SAGAS:
        raise ValueError(f"{owner}: n_sagas={n_sagas:,} is more than this machine can keep: at "
                         f"most {MAX_LARGE_SAGAS:,} (MAX_LARGE_SAGAS), even with confirm_large")
    attempts = n_sagas * expected_attempts(saga)
    if attempts > MAX_ATTEMPTS:
        raise ValueError(f"{owner}: n_sagas={n_sagas:,} of saga {saga.name!r} make about "
                         f"{attempts:,.0f} step attempts (retriable steps are tried 1/(1-p) "
                         f"times each); at most {MAX_ATTEMPTS:,} (MAX_ATTEMPTS): fewer sagas, "
                         f"or a lower failure_p")
    horizon = n_sagas / arrival_rate
    if horizon > MAX_VALUE:
        raise ValueError(f"{owner}: arrival_rate={arrival_rate:g} with n_sagas={n_sagas:,} "
                         f"makes the arrivals last about {horizon:.3g} s; beyond {MAX_VALUE:g} s "
                         f"(MAX_VALUE) the simulated times lose the precision the time columns "
                         f"need to add up: raise arrival_rate or lower n_sagas")
