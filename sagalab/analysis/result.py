"""The result of one run: tidy tables a notebook can read in one line.

* ``result.sagas``: one row per saga (see the README's column reference).
* ``result.events``: one row per message, in the order they were sent.
* ``result.stations``: one row per service station (and the orchestrator).
* ``result.summary()``: the headline numbers as a pandas Series.
* ``result.timeline()``: sagas in flight and the age of the oldest
  unfinished one over the run (the stuck-saga detector).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..sim.catalogue import CHANNELS, KINDS
from ..sim.engine import EVENT_FIELDS
from ..sim.record import OUTCOMES, STUCK
from . import isolation, lag
from . import trace as _trace

__all__ = ["Result", "warmup_count", "as_results"]

MAX_TIMES = 10_000_000  # times one timeline() call may look at


def _sagas_frame(cols: dict, step_names) -> pd.DataFrame:
    """``result.sagas`` from the simulator's columns (see :mod:`sagalab.sim.record`)."""
    c = {name: np.frombuffer(col, dtype=col.typecode) if len(col) else
         np.zeros(0, dtype=col.typecode) for name, col in cols.items()}
    ids = c["saga_id"]
    if len(ids) and (ids[1:] < ids[:-1]).any():  # stored as they ended: put them in order
        order = np.argsort(ids, kind="stable")
        c = {name: x[order] for name, x in c.items()}
    return pd.DataFrame(copy=False, data={
        "saga_id": c["saga_id"].astype(np.int64, copy=False),
        "start": c["start"],
        "end": c["end"],
        "latency": c["end"] - c["start"],
        "outcome": pd.Categorical.from_codes(c["outcome"].astype(np.int8, copy=False),
                                             OUTCOMES),
        "failed_step": pd.Categorical.from_codes(c["failed_step"].astype(np.int16, copy=False),
                                                 list(step_names)),
        "steps_completed": c["steps_completed"].astype(np.int16, copy=False),
        "compensations": c["compensations"].astype(np.int16, copy=False),
        "messages": c["messages"].astype(np.int32, copy=False),
        "queueing": c["queueing"],
        "service": c["service"],
        "transit": c["transit"],
        "coordination": c["coordination"],
        "fault_wait": c["fault_wait"],
        "inconsistent": c["inconsistent"],
        "duplicates": c["duplicates"].astype(np.int32, copy=False),
        "retries": c["retries"].astype(np.int32, copy=False),
        "late_replies": c["late_replies"].astype(np.int32, copy=False),
    })


def _events_frame(flat, types, saga) -> pd.DataFrame:
    rec = np.frombuffer(flat, dtype=float).reshape(-1, len(EVENT_FIELDS))
    # recorded when computed: in send order, sagas sending at the same time by saga id (each
    # saga's own messages keep their order), so the log does not depend on how the run was
    # scheduled
    rec = rec[np.lexsort((rec[:, 2], rec[:, 0]))]
    msg = rec[:, 3].astype(np.int32)

    def cat(values, categories):
        codes = {c: i for i, c in enumerate(categories)}
        lut = np.array([codes[x] for x in values], dtype=np.int16)
        return pd.Categorical.from_codes(lut[msg] if len(lut) else msg, categories)

    # categories in a fixed order, whatever order the run met the messages in
    met = {t.source for t in types} | {t.target for t in types}
    rank = {p: i for i, p in enumerate(saga.services + ("orchestrator", "dlq"))}
    participants = sorted(met, key=lambda p: (rank.get(p, len(rank)), p))
    names = sorted({t.name for t in types})
    return pd.DataFrame({
        "time": rec[:, 0],
        "saga_id": rec[:, 2].astype(np.int64),
        "kind": cat([t.kind for t in types], list(KINDS)),
        "name": cat([t.name for t in types], names),
        "source": cat([t.source for t in types], participants),
        "target": cat([t.target for t in types], participants),
        "channel": cat([t.channel for t in types], list(CHANNELS)),
        "delivered": rec[:, 1],
    })


PHASES = ("work", "compensation", "decision", "duplicate")


def _visits_frame(flat, saga) -> pd.DataFrame:
    rec = np.frombuffer(flat, dtype=float).reshape(-1, 6)
    rec = rec[np.lexsort((rec[:, 3], rec[:, 0]))]  # by saga, then by start
    stations = list(saga.step_names) + [saga.initiator, "orchestrator"]
    return pd.DataFrame({
        "saga_id": rec[:, 0].astype(np.int64),
        "station": pd.Categorical.from_codes(rec[:, 1].astype(np.int16), stations),
        "phase": pd.Categorical.from_codes(rec[:, 5].astype(np.int8), list(PHASES)),
        "arrival": rec[:, 2],
        "start": rec[:, 3],
        "end": rec[:, 4],
    })


def _consumed_frame(flat, step_names) -> pd.DataFrame:
    rec = np.frombuffer(flat, dtype=float).reshape(-1, 3)
    return pd.DataFrame({
        "service": pd.Categorical.from_codes(rec[:, 0].astype(np.int16), list(step_names)),
        "delivered": rec[:, 1],
        "done": rec[:, 2],
    })


def warmup_count(warmup, n: int) -> int:
    """How many of ``n`` sagas a ``warmup`` (count, or fraction in [0, 1)) drops."""
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float, np.integer, np.floating)):
        raise TypeError(f"warmup must be an int (sagas) or a float fraction in [0, 1), "
                        f"got {type(warmup).__name__} {warmup!r}")
    if isinstance(warmup, (int, np.integer)):
        if warmup < 0:
            raise ValueError(f"warmup must be >= 0 sagas, got {warmup!r}")
        return min(int(warmup), n)
    if not 0.0 <= warmup < 1.0:
        raise ValueError(f"warmup as a fraction must be in [0, 1), got {warmup!r}")
    return int(warmup * n)


@dataclass
class Result:
    """What one call of :func:`sagalab.simulate` produced.

    Attributes
    ----------
    sagas : pandas.DataFrame
        One row per saga, ordered by ``saga_id``.
    events : pandas.DataFrame
        One row per message in send order (empty when ``trace=False``).
    stations : pandas.DataFrame
        One row per station: ``capacity``, ``served``, ``busy`` seconds and
        ``utilization`` (busy / (capacity x duration)).
    params : dict
        Everything the run was called with (saga, pattern, seed, ...).
    state : pandas.DataFrame or None
        One row per operation on business state (a run with ``state=[...]``,
        see :mod:`sagalab.model.state`), else ``None``.
    consumed : pandas.DataFrame or None
        One row per message a step's service consumed from the broker
        (``service``, ``delivered``, ``done``: when it reached the service and
        when its work committed), when traced; :meth:`lag` reads it.
    visits : pandas.DataFrame or None
        One row per visit of a saga to a station, when traced: ``saga_id``,
        ``station``, ``phase`` (``work``, ``compensation``, ``decision`` or
        ``duplicate``), ``arrival``, ``start`` and ``end`` (seconds).
        :func:`sagalab.spans` reads it.
    """

    sagas: pd.DataFrame
    events: pd.DataFrame
    stations: pd.DataFrame
    params: dict = field(repr=False)
    state: pd.DataFrame | None = field(default=None, repr=False)
    consumed: pd.DataFrame | None = field(default=None, repr=False)
    visits: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def from_engine(cls, engine, params: dict) -> Result:
        saga = engine.cat.saga
        sagas = _sagas_frame(engine.columns.cols, saga.step_names)
        for name, blocks in engine.world.attribute_values.items():  # the saga's attributes
            col = np.concatenate(blocks)[:len(sagas)]
            sagas[name] = pd.Categorical(col) if col.dtype.kind == "U" else col
        events = _events_frame(engine.events, engine.cat.types, saga)
        duration = float(engine.duration)
        rows = []
        stations = list(engine.stations)
        if saga.initiator_time is None:
            stations.pop()  # an initiator whose work takes no time has no station
        if engine.uses_decisions:
            stations.append(engine.orch)
        for st in stations:
            cap = st.capacity
            rows.append({"station": st.name, "capacity": cap, "served": st.served,
                         "busy": st.busy,
                         "utilization": st.busy / (cap * duration) if duration else 0.0})
        stations = pd.DataFrame(rows, columns=["station", "capacity", "served", "busy",
                                               "utilization"]).set_index("station")
        params = dict(params, duration=duration)
        state = None
        if engine.ledgers is not None:
            rows = [row for led in engine.ledgers if led is not None for row in led.close()]
            state = isolation.state_frame(rows, params["state"])
        consumed = None
        if engine.consumed is not None:
            consumed = _consumed_frame(engine.consumed, saga.step_names)
        visits = None
        if engine.visits is not None:
            visits = _visits_frame(engine.visits, saga)
        return cls(sagas=sagas, events=events, stations=stations, params=params, state=state,
                   consumed=consumed, visits=visits)

    @property
    def pattern(self) -> str:
        return self.params["pattern"]

    @property
    def saga(self):
        return self.params["saga"]

    def summary(self, warmup: int | float = 0) -> pd.Series:
        """Headline numbers of the run.

        ``n``; ``throughput`` (sagas ended per second between the first start
        and the last end); latency ``mean``/``p50``/``p95``/``p99`` of ended
        sagas (seconds); the count of each outcome; ``messages_per_saga``;
        ``in_flight`` (time-average sagas in the system, Little's L); and
        ``utilization_<station>`` for each station.

        ``warmup`` drops the first sagas (an int: how many; a float in
        [0, 1): which fraction) from every number except utilization (which
        covers the whole run): a run starts from an empty system, so its
        first sagas see shorter queues than the steady state.
        A warm-up that would drop every saga is refused (``ValueError``).
        """
        first = warmup_count(warmup, len(self.sagas))
        if first >= len(self.sagas):
            raise ValueError(f"summary: warmup={warmup!r} drops every one of the "
                             f"{len(self.sagas)} sagas; give a count below that or a fraction "
                             f"in [0, 1)")
        s = self.sagas
        col = {c: s[c].to_numpy()[first:] for c in ("start", "end", "latency")}
        outcome = s["outcome"].cat.codes.to_numpy()[first:]
        done = outcome != STUCK  # column by column: no copy of the whole table
        lat = col["latency"][done]
        span = (col["end"][done].max() - col["start"].min()) if len(lat) else float("nan")
        out = {"n": len(outcome),
               "throughput": len(lat) / span if span and span > 0 else float("nan")}
        if len(lat):
            q = np.quantile(lat, [0.5, 0.95, 0.99])
            out.update(latency_mean=float(lat.mean()), latency_p50=float(q[0]),
                       latency_p95=float(q[1]), latency_p99=float(q[2]))
        else:
            out.update(latency_mean=np.nan, latency_p50=np.nan, latency_p95=np.nan,
                       latency_p99=np.nan)
        counts = np.bincount(outcome, minlength=len(OUTCOMES))
        for i, o in enumerate(OUTCOMES):
            out[o] = int(counts[i])
        out["messages_per_saga"] = float(s["messages"].to_numpy()[first:].mean())
        out["in_flight"] = float(lat.sum() / span) if len(lat) and span > 0 else float("nan")
        out["inconsistent_mean"] = float(s["inconsistent"].to_numpy()[first:].mean())
        for c in ("duplicates", "retries", "late_replies"):
            out[c] = int(s[c].to_numpy()[first:].sum())
        if self.state is not None:  # business state: anomalies over the whole run
            out.update(self.anomalies()[list(isolation.ANOMALIES)].sum().to_dict())
        for name, row in self.stations.iterrows():
            out[f"utilization_{name}"] = float(row["utilization"])
        return pd.Series(out, name=self.pattern)

    def anomalies(self) -> pd.DataFrame:
        """Isolation anomalies and costs per business state (:func:`sagalab.state.anomalies`)."""
        return isolation.anomalies(self)

    def invariants(self) -> pd.DataFrame:
        """End-of-run invariants per business state (:func:`sagalab.state.invariants`)."""
        return isolation.invariants(self)

    def lag(self, times=None) -> pd.DataFrame:
        """Consumer lag of each service over the run, Kafka style.

        A service's lag is the number of messages waiting for it in the broker
        (delivered to its topic) that it has not yet committed: the log-end
        offset minus its committed offset. With ``Broker(commit_every=k)`` it
        commits after every ``k`` messages it worked, with
        ``Broker(commit_interval=t)`` every ``t`` seconds. A slow consumer's lag
        grows; a dead one's grows until it comes back. Messages of a saga that
        got stuck inside a service stay uncommitted.

        Parameters
        ----------
        times : array-like of float, optional
            When to look, seconds; default 501 evenly spaced times over the run.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``time``, one column per service that consumes from the
            broker (messages).

        Raises
        ------
        ValueError
            For a run traced with ``trace=False``, or one that sends nothing
            through the broker (synchronous orchestration).

        Examples
        --------
        >>> import sagalab as sl
        >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10,
        ...                 n_sagas=50)
        >>> lag = r.lag()
        >>> list(lag.columns), int(lag.iloc[-1].sum())
        (['payment', 'inventory', 'shipping'], 0)
        """
        return lag.lag(self, times)

    def timeline(self, times=None) -> pd.DataFrame:
        """Sagas in flight and the age of the oldest unfinished one, over the run.

        Parameters
        ----------
        times : float or array-like of float, optional
            When to look, seconds (finite; at most ``MAX_TIMES``, 10 million,
            of them); default 501 evenly spaced times from 0 to the end of the
            run.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``time``: ``in_flight`` (sagas started and not ended)
            and ``oldest_age`` (seconds since the oldest of them started; 0
            when none is in flight). A stuck saga never ends, so the age of
            the oldest keeps growing: what operators watch to find them.

        Examples
        --------
        >>> import sagalab as sl
        >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=10,
        ...                 n_sagas=50)
        >>> tl = r.timeline()
        >>> list(tl.columns), int(tl.in_flight.iloc[-1])
        (['in_flight', 'oldest_age'], 0)
        """
        s = self.sagas
        if times is None:
            times = np.linspace(0.0, self.params["duration"], 501)
        t = np.atleast_1d(np.asarray(times))
        if t.dtype.kind not in "iuf" or t.ndim != 1 or not 0 < t.size <= MAX_TIMES:
            raise TypeError(f"timeline: times must be one number or a 1-D array of 1 to "
                            f"{MAX_TIMES:,} numbers (seconds), got {type(times).__name__} of "
                            f"dtype {t.dtype} and shape {t.shape}")
        t = t.astype(float)
        if not np.isfinite(t).all():
            raise ValueError(f"timeline: times must be finite seconds, got "
                             f"{t[~np.isfinite(t)][0]!r} among them")
        start = s["start"].to_numpy()  # ascending: saga ids are in arrival order
        end = np.nan_to_num(s["end"].to_numpy(), nan=np.inf)
        in_flight = (np.searchsorted(start, t, side="right")
                     - np.searchsorted(np.sort(end), t, side="right"))
        # the oldest unfinished saga at t is the first (by start) whose end is after t
        first = np.searchsorted(np.maximum.accumulate(end), t, side="right")
        idx = np.minimum(first, len(start) - 1)
        live = (first < len(start)) & (start[idx] <= t)
        age = np.where(live, t - start[idx], 0.0)
        return pd.DataFrame({"in_flight": in_flight, "oldest_age": age},
                            index=pd.Index(t, name="time"))

    def trace(self, saga_id: int):
        """The messages of one saga; prints as a sequence diagram (:func:`sagalab.trace.trace`)."""
        return _trace.trace(self, saga_id)

    def to_mermaid(self, saga_id: int) -> str:
        """One saga's executed trace as Mermaid text (:func:`sagalab.trace.to_mermaid`)."""
        return _trace.to_mermaid(self, saga_id)

    def __repr__(self) -> str:
        p = self.params
        return (f"<Result {p['pattern']} of saga {p['saga'].name!r}: {len(self.sagas)} sagas, "
                f"{len(self.events)} messages traced, seed={p['seed']!r}>")


def as_results(results) -> dict:
    """A Result, a list of Results or a dict ``label -> Result`` as a dict.

    Labels default to each run's pattern (then ``pattern #i`` if repeated).
    """
    if isinstance(results, Result):
        results = [results]
    if isinstance(results, dict):
        out = dict(results)
    else:
        out = {}
        for r in results:
            label = r.pattern if r.pattern not in out else f"{r.pattern} #{len(out)}"
            out[label] = r
    if not out:
        raise ValueError("expected at least one Result, got none")
    for label, r in out.items():
        if not isinstance(r, Result):
            raise TypeError(f"expected Results, got {type(r).__name__} for {label!r}")
    return out
