"""The world the sagas meet: arrivals, service times and failures, drawn up front.

Everything random in a run comes from one ``seed`` through ``numpy.random``
(no global state). Each quantity has a stream of its own, keyed by *what it
is* (``arrivals``; step ``j``'s service times; step ``j``'s failures; ...),
and each stream is consumed saga by saga in saga-id order. So:

* the same seed gives the same run;
* the world saga ``i`` meets depends on the seed and ``i`` only, not on the
  pattern: choreography and orchestration replay the *same* sagas (common
  random numbers), and their difference is the patterns', not noise;
* changing one parameter (say payment's failure rate) leaves every other
  stream untouched.

Draws are made in vectorised blocks of :data:`BLOCK` sagas (a block is drawn
when the first saga in it arrives), which keeps memory flat however many
sagas a run has. Block boundaries do not change the values drawn.
"""
from __future__ import annotations

import numbers
import zlib
from dataclasses import dataclass

import numpy as np

from ..model._validate import MAX_VALUE
from ..model.distributions import Constant, Distribution, checked_sample
from ..model.specs import Saga

__all__ = ["BLOCK", "seed_sequence", "stream", "World", "SagaDraw", "Sampler", "SagaDraws",
           "saga_draws", "constant_or_sampler"]

BLOCK = 4096  # sagas drawn per vectorised block

# Stream keys (appended to the root SeedSequence's spawn key).
ARRIVALS, INITIATOR, STEP, INFRA, ATTRIBUTE, STATE, FAULTS = 0, 1, 2, 3, 4, 5, 6
# (every top-level key above is used by exactly one kind of draw, so no two streams coincide)
SERVICE, FAIL, COMP, COMP_FAIL, RETRY = 0, 1, 2, 3, 4


def seed_sequence(seed) -> np.random.SeedSequence:
    """Normalise ``seed`` (int, SeedSequence or Generator) to a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63 - 1, size=4))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, a numpy SeedSequence or a numpy "
                        f"Generator, got {type(seed).__name__} {seed!r}")
    return np.random.SeedSequence(int(seed))


def stream(root: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """The generator for the quantity named by ``key`` under ``root``."""
    ss = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key)
    return np.random.Generator(np.random.PCG64(ss))


class Sampler:
    """Draws one value at a time from a distribution, refilling in checked blocks."""

    __slots__ = ("dist", "rng", "buf", "pos", "owner", "field")

    def __init__(self, dist: Distribution, rng: np.random.Generator, owner: str = "",
                 field: str = ""):
        self.dist, self.rng, self.buf, self.pos = dist, rng, [], 0
        self.owner, self.field = owner, field

    def __call__(self) -> float:
        if self.pos == len(self.buf):
            self.buf = checked_sample(self.dist, self.rng, BLOCK, self.owner, self.field).tolist()
            self.pos = 0
        x = self.buf[self.pos]
        self.pos += 1
        return x


def constant_or_sampler(dist: Distribution, root, *key, owner: str = "", field: str = ""):
    """``(value, None)`` for a Constant, ``(None, Sampler)`` otherwise."""
    if isinstance(dist, Constant):
        return dist.value, None
    return None, Sampler(dist, stream(root, *key), owner, field)


class SagaDraw:
    """The world one saga meets: its work times, failures, attributes' verdicts.

    ``svc[k]`` work of step ``k`` (its first attempt); ``fails[k]`` whether it
    fails on its business rule (``None``: no step can); ``comp[k]`` the work of
    its compensation and ``cfails[k]`` how many tries of it fail (``None``: no
    compensation can run); ``init`` the initiator's work at the start and the
    end (``None``: none); ``runs[k]`` whether step ``k``'s condition holds
    (``None``: no conditions); ``retry[k]`` the work of a retriable step's
    further attempts (``None``: no retries); ``orders[k]`` the (key, amount)
    of a step with business state.
    """

    __slots__ = ("svc", "fails", "comp", "cfails", "init", "runs", "retry", "orders")

    def __init__(self, svc, fails, comp, cfails, init, runs, retry, orders):
        self.svc, self.fails, self.comp, self.cfails = svc, fails, comp, cfails
        self.init, self.runs, self.retry, self.orders = init, runs, retry, orders


class World:
    """Per-saga random draws for one saga spec and seed, block by block.

    ``block(size)`` returns the next ``size`` sagas' inter-arrival times and
    their :class:`SagaDraw` s. Compensation draws are made when a step can
    fail on a business rule, or when ``compensations=True`` (a run whose
    faults or business state can make a saga compensate).

    Attributes have streams keyed by their *name*, retriable steps draw their
    attempts from their failure stream, so adding either leaves every other
    draw unchanged.
    """

    def __init__(self, saga: Saga, arrival_rate: float, root: np.random.SeedSequence, *,
                 compensations: bool = False, orders=None):
        self.saga, self.rate, self.root = saga, arrival_rate, root
        n = len(saga.steps)
        self._arr = stream(root, ARRIVALS)
        self._svc = [stream(root, STEP, j, SERVICE) for j in range(n)]
        self._fail = [stream(root, STEP, j, FAIL)
                      if s.failure_p > 0 and s.kind != "retriable" else None
                      for j, s in enumerate(saga.steps)]
        self.can_fail = any(r is not None for r in self._fail)
        self.draw_comp = self.can_fail or compensations
        self._comp = [stream(root, STEP, j, COMP) for j in range(n)]
        self._comp_fail = [stream(root, STEP, j, COMP_FAIL)
                           if s.compensation_failure_p > 0 else None
                           for j, s in enumerate(saga.steps)]
        self._extra = [stream(root, FAULTS, 0, j) if s.compensation_retries
                       and s.compensation_failure_p > 0 else None
                       for j, s in enumerate(saga.steps)]
        self._ini = stream(root, INITIATOR) if saga.initiator_time is not None else None
        self._attrs = [(name, dist, stream(root, ATTRIBUTE, zlib.crc32(name.encode())))
                       for name, dist in saga.attributes]
        self.attribute_values = {name: [] for name, _ in saga.attributes}
        self._retry = [(stream(root, STEP, j, FAIL), stream(root, STEP, j, RETRY))
                       if s.kind == "retriable" and s.failure_p > 0 else None
                       for j, s in enumerate(saga.steps)]
        self._conditions = any(s.when is not None for s in saga.steps)
        self._orders = orders

    def attributes_block(self, size: int) -> dict:
        """Draw (and keep, for ``result.sagas``) every attribute of the next sagas."""
        out = {}
        for name, dist, rng in self._attrs:
            out[name] = checked_sample(dist, rng, size, f"Saga {self.saga.name!r}",
                                       f"attributes[{name!r}]", low=-MAX_VALUE)
            self.attribute_values[name].append(out[name])
        return out

    def runs_block(self, size: int, attrs: dict) -> list:
        """Per saga, whether each step's condition holds."""
        runs = np.ones((size, len(self.saga.steps)), dtype=bool)
        for j, s in enumerate(self.saga.steps):
            if s.when is None:
                continue
            if hasattr(s.when, "mask"):
                runs[:, j] = s.when.mask(attrs)
            else:  # a plain predicate, one saga at a time
                names = list(attrs)
                rows = ([dict(zip(names, row)) for row in zip(*(attrs[k].tolist()
                                                                 for k in names))]
                        if names else [{}] * size)
                runs[:, j] = [bool(s.when(row)) for row in rows]
        return runs.tolist()

    def retry_block(self, size: int) -> list:
        """Per saga, per step: the work of a retriable step's attempts after the first."""
        retry = [[[] for _ in self.saga.steps] for _ in range(size)]
        for j, (s, r) in enumerate(zip(self.saga.steps, self._retry)):
            if r is None:
                continue
            extra = r[0].geometric(1.0 - s.failure_p, size) - 1  # failed attempts
            times = checked_sample(s.service_time, r[1], int(extra.sum()), f"Step {s.name!r}",
                                   "service_time").tolist()
            pos = 0
            for i, m in enumerate(extra.tolist()):
                retry[i][j] = times[pos:pos + m]
                pos += m
        return retry

    def fails_block(self, size: int) -> np.ndarray:
        fails = np.zeros((size, len(self.saga.steps)), dtype=bool)
        for j, (s, r) in enumerate(zip(self.saga.steps, self._fail)):
            if r is not None:
                fails[:, j] = r.random(size) < s.failure_p
        return fails

    def block(self, size: int):
        """The next ``size`` sagas: ``(inter-arrival times, [SagaDraw, ...])``."""
        saga = self.saga
        none = [None] * size
        inter = self._arr.exponential(1.0 / self.rate, size).tolist()
        svc = np.column_stack([checked_sample(s.service_time, r, size, f"Step {s.name!r}",
                                              "service_time")
                               for s, r in zip(saga.steps, self._svc)]).tolist()
        fails = self.fails_block(size).tolist() if self.can_fail else none
        comp, cfails = self.compensations(size) if self.draw_comp else (none, none)
        init = none
        if self._ini is not None:
            init = checked_sample(saga.initiator_time, self._ini, 2 * size, f"Saga {saga.name!r}",
                                  "initiator_time").reshape(size, 2).tolist()
        attrs = self.attributes_block(size) if self._attrs else {}
        runs = self.runs_block(size, attrs) if self._conditions else none
        retry = self.retry_block(size) if any(r is not None for r in self._retry) else none
        orders = self._orders.block(size) if self._orders is not None else none
        return inter, [SagaDraw(*row) for row in zip(svc, fails, comp, cfails, init, runs,
                                                      retry, orders)]

    def compensations(self, size: int):
        """Compensation times and how many tries of each fail, for the next ``size`` sagas."""
        saga, n = self.saga, len(self.saga.steps)
        comp = np.column_stack([checked_sample(s.compensation, r, size, f"Step {s.name!r}",
                                               "compensation_time")
                                for s, r in zip(saga.steps, self._comp)]).tolist()
        cf = np.zeros((size, n), dtype=np.int64)
        for j, (s, r) in enumerate(zip(saga.steps, self._comp_fail)):
            if r is not None:
                cf[:, j] = r.random(size) < s.compensation_failure_p
        for j, (s, r) in enumerate(zip(saga.steps, self._extra)):
            if r is not None:  # every further try fails too with the same probability
                p = s.compensation_failure_p
                extra = r.geometric(1.0 - p, size) - 1 if p < 1 else np.full(size, 1 << 30)
                cf[:, j] += np.where(cf[:, j] > 0, extra, 0)
        return comp, cf.tolist()


@dataclass(frozen=True)
class SagaDraws:
    """What the world holds for each of ``n`` sagas: the simulator's own draws, as arrays.

    Saga ``i`` of ``sl.simulate(saga, ..., seed=s)`` meets row ``i`` of
    ``saga_draws(saga, rate, n, s)``, in every pattern: a real run (see
    :mod:`sagalab.live`) that replays these rows replays the simulated sagas.

    Attributes
    ----------
    start : ndarray, shape (n,)
        Arrival time of each saga, seconds after the run began.
    service : ndarray, shape (n, k)
        Work time of each step (its first attempt), seconds.
    fails : ndarray of bool, shape (n, k)
        Whether each step fails on its business rule (always False for
        retriable steps, which are retried until they succeed).
    compensation : ndarray, shape (n, k)
        Work time of each step's compensation, seconds.
    compensation_fails : ndarray of bool, shape (n, k)
        Whether the (first try of the) compensation fails.
    initiator : ndarray, shape (n, 2), or None
        The initiator's work at the start and at the end (None: it takes no time).
    """

    start: np.ndarray
    service: np.ndarray
    fails: np.ndarray
    compensation: np.ndarray
    compensation_fails: np.ndarray
    initiator: np.ndarray | None


def saga_draws(saga: Saga, arrival_rate: float, n_sagas: int, seed=0) -> SagaDraws:
    """The draws of the first ``n_sagas`` sagas of a run with this ``seed``.

    Examples
    --------
    >>> import sagalab as sl
    >>> d = saga_draws(sl.scenarios.ecommerce(), 10.0, 5, seed=1)
    >>> d.service.shape, bool((d.start[1:] >= d.start[:-1]).all())
    ((5, 3), True)
    """
    world = World(saga, float(arrival_rate), seed_sequence(seed), compensations=True)
    k = len(saga.steps)
    inter, rows = [], []
    while len(rows) < n_sagas:
        b_inter, b_rows = world.block(min(BLOCK, n_sagas - len(rows)))
        inter += b_inter
        rows += b_rows
    fails = [d.fails if d.fails is not None else [False] * k for d in rows]
    init = [d.init for d in rows] if saga.initiator_time is not None else None
    return SagaDraws(start=np.cumsum(inter), service=np.asarray([d.svc for d in rows]),
                     fails=np.asarray(fails, dtype=bool).reshape(-1, k),
                     compensation=np.asarray([d.comp for d in rows]).reshape(-1, k),
                     compensation_fails=np.asarray([d.cfails for d in rows]).reshape(-1, k) > 0,
                     initiator=np.asarray(init, dtype=float) if init else None)
