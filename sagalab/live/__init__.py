"""sagalab.live: the seed's services for real, held against the simulator.

:func:`run` starts Order, Payment, Inventory and Shipping as OS processes on
127.0.0.1 (plus ``redis-server`` for choreography's events, plus the seed's
orchestrator or a DBOS durable workflow for orchestration), replays the
simulator's sagas through them (same seed: saga ``k`` arrives when, works as
long as, and fails where it does in :func:`sagalab.simulate`), and returns
what really happened as a :class:`~sagalab.Result` with the simulator's tables.
:func:`calibrate` fits the simulator's infrastructure to it, :func:`twin`
simulates the same sagas, and :func:`compare` puts reality beside the model.

The services live in ``sagalab/live/services/`` as standalone programs (they
import nothing from sagalab): read them beside the seed's TypeScript.
Importing this module starts nothing and imports neither Redis, aiohttp nor
DBOS; they are needed (``pip install 'sagalab[live]'``) only to :func:`run`.
"""
from .cluster import SERVICES, RedisNotFound
from .fit import calibrate, compare, fit_lognormal, ks_distance, label, twin
from .lesson import PROGRAMS, quiet_moment, source
from .plan import CRASHES, ENGINES
from .run import run

__all__ = ["run", "calibrate", "compare", "twin", "label", "fit_lognormal", "ks_distance",
           "source", "quiet_moment", "PROGRAMS", "RedisNotFound", "SERVICES", "ENGINES",
           "CRASHES"]
