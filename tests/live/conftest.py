"""Real runs shared by the live tests: each scenario runs once per session.

Every run here starts redis-server and the services on 127.0.0.1, so the
tests need Debian's ``redis-server`` and the ``live`` extra. Without them
the tests are skipped with a one-line reason, except in CI (``CI`` set, as
``.ci/run`` does), where a missing prerequisite is a failure.

The sagas are the simulator's (``sl.simulate`` with the same seed); nothing
here asserts a latency or a wall-clock time.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import warnings

import pytest

import sagalab as sl

#: The saga of the no-fault runs: every outcome and every failed step occurs.
SAGA = sl.scenarios.ecommerce(payment_failure_p=0.15, inventory_failure_p=0.15,
                              shipping_failure_p=0.15).with_step("inventory",
                                                                 compensation_failure_p=0.3)
RUN = dict(arrival_rate=20, n_sagas=60, seed=1)
#: The saga of the crash runs: a slow payment, so a crash can land inside one saga's work.
CRASH_SAGA = sl.scenarios.ecommerce().with_step("payment", service_time=sl.Constant(0.16))
CRASH_RUN = dict(arrival_rate=4, n_sagas=12, seed=3)
OUTAGE = 0.6  # seconds a crashed process stays down
#: The runs without faults: (pattern, orchestrator, transport).
MODES = {"choreography": ("choreography", "seed", "sync"),
         "seed": ("orchestration", "seed", "sync"),
         "seed-async": ("orchestration", "seed", "async"),
         "dbos": ("orchestration", "dbos", "sync")}


def _missing() -> str | None:
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    for m in ("redis", "aiohttp", "dbos"):
        if importlib.util.find_spec(m) is None:
            return f"the live extra is not installed (pip install 'sagalab[live]'): no {m}"
    return None


@pytest.fixture(scope="session", autouse=True)
def _live_prerequisites():
    reason = _missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"live tests need their prerequisites in CI: {reason}")
    if reason:
        pytest.skip(reason)


_RUNS: dict = {}


def real(mode: str):
    """The real run of ``mode`` (one of MODES), made once."""
    if mode not in _RUNS:
        pattern, engine, transport = MODES[mode]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # under choreography the orchestrator is ignored: say so (checked in a test)
            engine_arg = "dbos" if pattern == "choreography" else engine
            r = sl.live.run(SAGA, pattern, orchestrator=engine_arg, transport=transport, **RUN)
        r.params["test_warnings"] = [str(w.message) for w in caught]
        _RUNS[mode] = r
    return _RUNS[mode]


def simulated(mode: str, **kw):
    pattern, engine, transport = MODES[mode]
    return sl.simulate(SAGA, pattern, transport=transport, **RUN, **kw)


_CRASHES: dict = {}


def crashed(case: str):
    """``(real, simulated, saga_id, crash time)`` for one crash case, made once."""
    if case not in _CRASHES:
        saga, pattern, engine, target = {
            "seed": (CRASH_SAGA, "orchestration", "seed", "orchestrator"),
            "dbos": (CRASH_SAGA, "orchestration", "dbos", "orchestrator"),
            "consumer": (CRASH_SAGA, "choreography", "seed", "payment"),
            "dual_write": (CRASH_SAGA.with_step("payment", outbox=False), "choreography",
                           "seed", "payment"),
            "not_idempotent": (CRASH_SAGA.with_step("payment", idempotent=False),
                               "choreography", "seed", "payment"),
        }[case]
        sid, t = sl.live.quiet_moment(CRASH_SAGA, pattern, step="payment", **CRASH_RUN)
        faults = [sl.Outage(target, t, OUTAGE)]
        r = sl.live.run(saga, pattern, orchestrator=engine, faults=faults,
                        settle=1.5 if case in ("seed", "dual_write") else 3.0, **CRASH_RUN)
        kw = {"orchestrator": sl.Orchestrator(durable_log=True)} if engine == "dbos" else {}
        s = sl.simulate(saga, pattern, faults=faults, **CRASH_RUN, **kw)
        _CRASHES[case] = (r, s, sid, t)
    return _CRASHES[case]
