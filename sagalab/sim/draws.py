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

from ..model.distributions import Constant, Distribution
from ..model.specs import Saga

__all__ = ["BLOCK", "seed_sequence", "stream", "World", "Sampler", "SagaDraws", "saga_draws"]

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
    """Draws one value at a time from a distribution, refilling in blocks."""

    __slots__ = ("dist", "rng", "buf", "pos")

    def __init__(self, dist: Distribution, rng: np.random.Generator):
        self.dist, self.rng, self.buf, self.pos = dist, rng, [], 0

    def __call__(self) -> float:
        if self.pos == len(self.buf):
            self.buf, self.pos = self.dist.sample(self.rng, BLOCK).tolist(), 0
        x = self.buf[self.pos]
        self.pos += 1
        return x


def constant_or_sampler(dist: Distribution, root, *key):
    """``(value, None)`` for a Constant, ``(None, Sampler)`` otherwise."""
    if isinstance(dist, Constant):
        return dist.value, None
    return None, Sampler(dist, stream(root, *key))


class World:
    """Per-saga random draws for one saga spec and seed, block by block.

    ``block(b)`` returns, for sagas ``b*BLOCK ...``: inter-arrival times,
    service times per step, the index of the first failing step (``n`` when
    none fails), compensation times, compensation failures and initiator
    times (start, end), as Python lists (fast to index in the simulation).
    With ``detailed=True`` (sagas with conditions, parallel steps or retries)
    a seventh item gives, per saga, ``(runs, fails, retry_times)``: whether
    each step runs, whether each step fails, and for retriable steps the
    service times of the attempts after the first (``None`` when no step is
    retriable with ``failure_p > 0``).

    Attributes have streams keyed by their *name*, retriable steps draw their
    attempts from their failure stream, so adding either leaves every other
    draw unchanged.
    """

    def __init__(self, saga: Saga, arrival_rate: float, root: np.random.SeedSequence):
        self.saga, self.rate, self.root = saga, arrival_rate, root
        n = len(saga.steps)
        self._arr = stream(root, ARRIVALS)
        self._svc = [stream(root, STEP, j, SERVICE) for j in range(n)]
        self._fail = [stream(root, STEP, j, FAIL)
                      if s.failure_p > 0 and s.kind != "retriable" else None
                      for j, s in enumerate(saga.steps)]
        self.can_fail = any(r is not None for r in self._fail)
        self._comp = [stream(root, STEP, j, COMP) for j in range(n)]
        self._comp_fail = [stream(root, STEP, j, COMP_FAIL)
                           if s.compensation_failure_p > 0 else None
                           for j, s in enumerate(saga.steps)]
        self._ini = stream(root, INITIATOR) if saga.initiator_time is not None else None
        self.detailed = False  # set by the engine for sagas that need the extra draws
        self._attrs = [(name, dist, stream(root, ATTRIBUTE, zlib.crc32(name.encode())))
                       for name, dist in saga.attributes]
        self.attribute_values = {name: [] for name, _ in saga.attributes}
        self._retry = [(stream(root, STEP, j, FAIL), stream(root, STEP, j, RETRY))
                       if s.kind == "retriable" and s.failure_p > 0 else None
                       for j, s in enumerate(saga.steps)]

    def attributes_block(self, size: int) -> dict:
        """Draw (and keep, for ``result.sagas``) every attribute of the next sagas."""
        out = {}
        for name, dist, rng in self._attrs:
            out[name] = dist.sample(rng, size)
            self.attribute_values[name].append(out[name])
        return out

    def extra_block(self, size: int, fails, attrs: dict):
        """Per saga ``(runs, fails, retry_times)`` for the workflow engine."""
        runs = np.ones((size, len(self.saga.steps)), dtype=bool)
        for j, s in enumerate(self.saga.steps):
            if s.when is None:
                continue
            if hasattr(s.when, "mask"):
                runs[:, j] = s.when.mask(attrs)
            else:  # a plain predicate, one saga at a time
                names = list(attrs)
                runs[:, j] = [bool(s.when(dict(zip(names, row))))
                              for row in zip(*(attrs[k].tolist() for k in names))]
        retry = None
        if any(r is not None for r in self._retry):
            retry = [[[] for _ in self.saga.steps] for _ in range(size)]
            for j, (s, r) in enumerate(zip(self.saga.steps, self._retry)):
                if r is None:
                    continue
                extra = r[0].geometric(1.0 - s.failure_p, size) - 1  # failed attempts
                times = s.service_time.sample(r[1], int(extra.sum())).tolist()
                pos = 0
                for i, m in enumerate(extra.tolist()):
                    retry[i][j] = times[pos:pos + m]
                    pos += m
        runs_rows = runs.tolist() if any(s.when is not None for s in self.saga.steps) else \
            [None] * size
        return list(zip(runs_rows, fails.tolist(), retry or [None] * size))

    def block(self, size: int):
        saga, n = self.saga, len(self.saga.steps)
        inter = self._arr.exponential(1.0 / self.rate, size).tolist()
        svc = np.column_stack([s.service_time.sample(r, size)
                               for s, r in zip(saga.steps, self._svc)]).tolist()
        fail_at = comp = comp_fail = None
        fails = np.zeros((size, n), dtype=bool)
        if self.can_fail:
            for j, (s, r) in enumerate(zip(saga.steps, self._fail)):
                if r is not None:
                    fails[:, j] = r.random(size) < s.failure_p
            fail_at = np.where(fails.any(axis=1), fails.argmax(axis=1), n).tolist()
            comp, comp_fail = self.compensations(size)
        init = None
        if self._ini is not None:
            init = saga.initiator_time.sample(self._ini, 2 * size).reshape(size, 2).tolist()
        attrs = self.attributes_block(size) if self._attrs else {}
        extra = self.extra_block(size, fails, attrs) if self.detailed else None
        return inter, svc, fail_at, comp, comp_fail, init, extra

    def compensations(self, size: int):
        """Compensation times and whether each compensation fails, for the next ``size`` sagas."""
        saga, n = self.saga, len(self.saga.steps)
        comp = np.column_stack([s.compensation.sample(r, size)
                                for s, r in zip(saga.steps, self._comp)]).tolist()
        cf = np.zeros((size, n), dtype=bool)
        for j, (s, r) in enumerate(zip(saga.steps, self._comp_fail)):
            if r is not None:
                cf[:, j] = r.random(size) < s.compensation_failure_p
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
    world = World(saga, float(arrival_rate), seed_sequence(seed))
    k = len(saga.steps)
    inter, svc, fails, comp, cfail, init = [], [], [], [], [], []
    done = 0
    while done < n_sagas:
        size = min(BLOCK, n_sagas - done)
        b_inter, b_svc, fail_at, b_comp, b_cfail, b_init, _ = world.block(size)
        if b_comp is None:
            b_comp, b_cfail = world.compensations(size)
        inter += b_inter
        svc += b_svc
        at = np.asarray(fail_at if fail_at is not None else [k] * size)
        fails.append(at[:, None] == np.arange(k)[None, :])
        comp += b_comp
        cfail += b_cfail
        if b_init is not None:
            init += b_init
        done += size
    return SagaDraws(start=np.cumsum(inter), service=np.asarray(svc, dtype=float).reshape(-1, k),
                     fails=np.concatenate(fails).reshape(-1, k),
                     compensation=np.asarray(comp, dtype=float).reshape(-1, k),
                     compensation_fails=np.asarray(cfail, dtype=bool).reshape(-1, k),
                     initiator=np.asarray(init, dtype=float) if init else None)
