"""One saga's story, read from the event log: a table, a terminal drawing, Mermaid.

"Where is saga 42, and what happened to it?" In choreography the answer is
scattered over every service's log; here it is one filter of
``result.events``. :func:`trace` gives that filter as a small table that
prints as a sequence diagram in a terminal; :func:`to_mermaid` writes the
same messages as a Mermaid sequence diagram, so what really ran can be
pasted into docs (saga engines draw their definitions; this draws a run).

:func:`spans` splits each saga's time at each station into *waiting* (in the
FIFO queue) and *working*, from the log alone: a station's jobs start in
arrival order, each as soon as it has arrived and one of the ``capacity``
workers is free, so the start of every job follows from the arrival and
departure times the log records.
"""
from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from ..model import _validate as v

__all__ = ["Trace", "trace", "to_mermaid", "spans", "participants", "fifo_starts"]

LANE = 14  # characters per lifeline in the text rendering


def participants(result, events: pd.DataFrame | None = None) -> list[str]:
    """The participants of a run, left to right: initiator, orchestrator, steps, others."""
    saga = result.saga
    ev = result.events if events is None else events
    seen = set(ev["source"].astype(str)) | set(ev["target"].astype(str))
    first = [saga.initiator, "orchestrator", *saga.step_names]
    return [p for p in first if p in seen] + sorted(seen - set(first) - {"dlq"}) + (
        ["dlq"] if "dlq" in seen else [])


def _saga_row(result, saga_id: int) -> pd.Series:
    s = result.sagas
    if not isinstance(saga_id, (int, np.integer)) or isinstance(saga_id, bool):
        raise TypeError(f"saga_id must be an int, got {type(saga_id).__name__} {saga_id!r}")
    if not 0 <= saga_id < len(s):
        raise ValueError(f"saga_id must be in [0, {len(s) - 1}], got {saga_id}")
    return s.iloc[int(saga_id)]


class Trace(pd.DataFrame):
    """The messages of one saga: a DataFrame that prints as a sequence diagram.

    Columns: ``t`` (seconds since the saga started), ``arrives`` (``t`` plus
    transit), ``kind``, ``name``, ``source``, ``target``, ``channel``. The
    saga's row of ``result.sagas`` is in ``.attrs["saga"]`` and the
    participants, left to right, in ``.attrs["participants"]``.
    """

    @property
    def _constructor(self):  # derived frames are plain DataFrames
        return pd.DataFrame

    def text(self) -> str:
        """The trace drawn with one lifeline per participant, for a terminal."""
        row, lanes = self.attrs["saga"], self.attrs["participants"]
        failed = "" if pd.isna(row["failed_step"]) else f", failed at {row['failed_step']}"
        head = (f"saga {row['saga_id']} ({self.attrs['pattern']}): {row['outcome']}{failed}; "
                f"latency {1e3 * row['latency']:.1f} ms = queueing {1e3 * row['queueing']:.1f}"
                f" + service {1e3 * row['service']:.1f} + transit {1e3 * row['transit']:.1f}"
                f" + coordination {1e3 * row['coordination']:.1f}")
        col = {p: LANE // 2 + i * LANE for i, p in enumerate(lanes)}
        width = LANE * len(lanes)
        lifelines = [" "] * width
        for c in col.values():
            lifelines[c] = "│"
        lines = [head, "  t (ms)  " + "".join(p[: LANE - 1].center(LANE) for p in lanes)]
        for r in self.itertuples(index=False):
            chars = list(lifelines)
            a, b = col[r.source], col[r.target]
            lo, hi = min(a, b), max(a, b)
            for c in range(lo + 1, hi):
                chars[c] = "─"
            chars[a] = "●"
            chars[b] = "▶" if b > a else "◀"
            tag = "" if r.kind in ("success", "command", "reply") else f" [{r.kind}]"
            lines.append(f"{1e3 * r.t:8.1f}  {''.join(chars)}  {r.name}{tag}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__


def trace(result, saga_id: int) -> Trace:
    """The messages of saga ``saga_id``, in order, as a :class:`Trace`.

    Parameters
    ----------
    result : Result
        A run with ``trace=True``.
    saga_id : int
        Which saga.

    Returns
    -------
    Trace
        A DataFrame; ``print`` it for the terminal drawing.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=5, n_sagas=10)
    >>> t = r.trace(0)
    >>> list(t.name)
    ['OrderCreated', 'PaymentCompleted', 'InventoryReserved', 'ShippingScheduled']
    >>> print(str(t).splitlines()[1].split())
    ['t', '(ms)', 'order', 'payment', 'inventory', 'shipping']
    """
    row = _saga_row(result, saga_id)
    ev = result.events
    if len(ev) == 0 and row["messages"] > 0:
        raise ValueError("trace: result.events is empty; simulate with trace=True")
    mine = ev[ev["saga_id"].to_numpy() == saga_id]
    cols = ["kind", "name", "source", "target", "channel"]
    t = Trace({"t": mine["time"].to_numpy() - row["start"],
               "arrives": mine["delivered"].to_numpy() - row["start"],
               **{c: mine[c].astype(str).to_numpy() for c in cols}})
    t.attrs.update(saga=row, pattern=result.pattern, participants=participants(result, mine))
    return t


_MERMAID_ARROW = {"command": "->>", "reply": "-->>", "success": "->>", "failure": "-x",
                  "compensation": "-)", "dlq": "--x"}


def to_mermaid(result, saga_id: int) -> str:
    """The executed trace of saga ``saga_id`` as a Mermaid sequence diagram.

    Commands are solid arrows, replies dotted, failures end in a cross,
    compensations are open (asynchronous) arrows; broker events say so.
    Each message carries its simulated time since the saga began.

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=5, n_sagas=3)
    >>> print(r.to_mermaid(0).splitlines()[0])
    sequenceDiagram
    """
    t = trace(result, saga_id)
    row = t.attrs["saga"]
    alias = {p: f"p{i}" for i, p in enumerate(t.attrs["participants"])}
    lines = ["sequenceDiagram",
             f"    title saga {row['saga_id']} ({result.pattern}): {row['outcome']}"]
    lines += [f"    participant {a} as {p}" for p, a in alias.items()]
    for r in t.itertuples(index=False):
        via = " via broker" if r.channel == "broker" else ""
        lines.append(f"    {alias[r.source]}{_MERMAID_ARROW[r.kind]}{alias[r.target]}: "
                     f"{r.name}{via} at {1e3 * r.t:.1f} ms")
    end = t.attrs["participants"][0]
    lines.append(f"    Note over {alias[end]}: {row['outcome']} after "
                 f"{1e3 * row['latency']:.1f} ms")
    return "\n".join(lines) + "\n"


# -- where the time went -----------------------------------------------------------
def _jobs(result, events, ends, starts):
    """Jobs at stations: (participant, saga_id, arrival, departure, trigger kind, name)."""
    saga = result.saga
    stations = set(result.stations.index)
    ini = saga.initiator if saga.initiator in stations else None
    jobs = []
    pending: dict[tuple[int, str], tuple[float, str, str]] = {}
    first_send: set[int] = set()
    cols = [events[c].to_numpy() for c in ("saga_id", "time", "delivered")] + [
        events[c].astype(str).to_numpy() for c in ("kind", "name", "source", "target")]
    for sid, t, d, kind, name, src, tgt in zip(*cols):
        if ini is not None and src == ini and sid not in first_send:
            jobs.append((ini, sid, starts[sid], t, "start", "start"))
        first_send.add(sid)
        got = pending.pop((sid, src), None)
        if got is not None and src in stations:
            jobs.append((src, sid, got[0], t, got[1], got[2]))
        pending[(sid, tgt)] = (d, kind, name)
    if ini is not None:
        for (sid, p), (d, kind, name) in pending.items():
            if p == ini:
                jobs.append((ini, sid, d, ends[sid], kind, name))
    return jobs


def fifo_starts(arrivals: np.ndarray, departures: np.ndarray, capacity: int) -> np.ndarray:
    """Service starts of FIFO jobs (sorted by arrival) on ``capacity`` workers.

    Reads a station's arrivals and departures back into when each job started
    (used for the spans of a trace, and by :mod:`sagalab.live` on real logs).

    >>> import numpy as np
    >>> fifo_starts(np.array([0.0, 0.5, 0.6]), np.array([1.0, 2.0, 3.0]), 1).tolist()
    [0.0, 1.0, 2.0]
    """
    starts = np.empty_like(arrivals)
    done: list[float] = []  # departures of started jobs not yet matched to a freed worker
    last = -np.inf
    for j, (a, dep) in enumerate(zip(arrivals, departures)):
        free = -np.inf if j < capacity else heapq.heappop(done)
        last = starts[j] = max(a, last, free)
        heapq.heappush(done, dep)
    return starts


def _spans_of_visits(result, ids) -> pd.DataFrame:
    """Spans from the visits the simulator recorded (exact, duplicates left out)."""
    vis = result.visits
    vis = vis[vis["saga_id"].isin(ids) & (vis["phase"] != "duplicate")]
    ev = result.events
    mine = ev[ev["saga_id"].isin(ids)]
    # the message that brought each visit: the latest one delivered to its station by then
    came = mine[["saga_id", "target", "delivered", "name"]].rename(
        columns={"target": "station", "delivered": "arrival"})
    came = came.assign(station=came["station"].astype(str), name=came["name"].astype(str))
    keys = vis.assign(station=vis["station"].astype(str)).sort_values("arrival")
    keys = pd.merge_asof(keys, came.sort_values("arrival"), on="arrival",
                         by=["saga_id", "station"], direction="backward")
    keys["name"] = keys["name"].fillna("start")
    parts = [pd.DataFrame({"saga_id": keys["saga_id"], "participant": keys["station"],
                           "phase": "wait", "start": keys["arrival"], "end": keys["start"],
                           "name": keys["name"]}),
             pd.DataFrame({"saga_id": keys["saga_id"], "participant": keys["station"],
                           "phase": keys["phase"].astype(str), "start": keys["start"],
                           "end": keys["end"], "name": keys["name"]}),
             pd.DataFrame({"saga_id": mine["saga_id"], "participant": mine["target"].astype(str),
                           "phase": "transit", "start": mine["time"], "end": mine["delivered"],
                           "name": mine["name"].astype(str)})]
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["saga_id", "start", "end"], kind="stable").reset_index(drop=True)
    df["saga_id"] = df["saga_id"].astype(np.int64)
    return df


def spans(result, saga_ids=None) -> pd.DataFrame:
    """Where each saga's time went: waiting, working, compensating, deciding, in transit.

    Parameters
    ----------
    result : Result
        A traced run.
    saga_ids : iterable of int, optional
        The sagas to return (default: all). Queues are rebuilt from every
        saga that arrived before the last of them ended.

    Returns
    -------
    pandas.DataFrame
        One row per span: ``saga_id``, ``participant``, ``phase`` (``wait``,
        ``work``, ``compensation``, ``decision`` or ``transit``), ``start``,
        ``end`` (seconds, simulation clock) and ``name`` (the message that
        started it). For a run of the simulator the spans are the station
        visits it recorded (``result.visits``); for a run without them (real
        services, :mod:`sagalab.live`) they are rebuilt from the messages and
        the stations' FIFO queues. For a saga without parallel steps or faults,
        ``wait`` at the services sums to ``result.sagas.queueing`` and
        ``work`` + ``compensation`` to ``service`` (with parallel steps the
        saga's columns follow its critical path, the spans every branch).

    Examples
    --------
    >>> import sagalab as sl
    >>> r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=40, n_sagas=200)
    >>> s = sl.spans(r, [10])
    >>> list(s.columns)
    ['saga_id', 'participant', 'phase', 'start', 'end', 'name']
    """
    s = result.sagas
    if saga_ids is None:
        ids = np.arange(len(s))
    else:
        ids = v.sequence("spans", "saga_ids", saga_ids, "saga ids", limit=10 * len(s))
        for sid in ids:
            _saga_row(result, sid)
        ids = np.asarray(ids, dtype=np.int64)
    ev = result.events
    if len(ev) == 0:
        raise ValueError("spans: result.events is empty; simulate with trace=True")
    if getattr(result, "visits", None) is not None:  # the simulator kept every station visit
        return _spans_of_visits(result, ids)
    starts, ends = s["start"].to_numpy(), s["end"].to_numpy()
    # Sagas that started before the last chosen one ended may have queued ahead of it.
    cutoff = ends[ids].max() if len(ids) else -np.inf
    ev = ev[ev["saga_id"].to_numpy() < np.searchsorted(starts, cutoff, side="right")]
    jobs = pd.DataFrame(_jobs(result, ev, ends, starts),
                        columns=["participant", "saga_id", "arrival", "departure", "trigger",
                                 "name"])
    out = []
    for p, grp in jobs.groupby("participant", sort=False):
        grp = grp.sort_values("arrival", kind="stable")
        st = fifo_starts(grp["arrival"].to_numpy(), grp["departure"].to_numpy(),
                          int(result.stations.loc[p, "capacity"]))
        grp = grp.assign(begin=st)
        work = ("decision" if p == "orchestrator" else
                np.where(grp["trigger"].isin(["failure", "compensation"])
                         & (p != result.saga.initiator), "compensation", "work"))
        out.append(pd.DataFrame({"saga_id": grp["saga_id"], "participant": p, "phase": "wait",
                                 "start": grp["arrival"], "end": st, "name": grp["name"]}))
        out.append(pd.DataFrame({"saga_id": grp["saga_id"], "participant": p, "phase": work,
                                 "start": st, "end": grp["departure"], "name": grp["name"]}))
    mine = ev[ev["saga_id"].isin(ids)]
    out.append(pd.DataFrame({"saga_id": mine["saga_id"], "participant": mine["target"].astype(str),
                             "phase": "transit", "start": mine["time"], "end": mine["delivered"],
                             "name": mine["name"].astype(str)}))
    df = pd.concat(out, ignore_index=True)
    df = df[df["saga_id"].isin(ids)]
    df = df.sort_values(["saga_id", "start", "end"], kind="stable").reset_index(drop=True)
    df["saga_id"] = df["saga_id"].astype(np.int64)
    return df
