"""From the services' logs and databases to a :class:`~sagalab.Result`, column for column.

Every service logged, one JSON line each, what it sent (``send``: the message,
its channel and when it left: for a service, the end of the work that produced
it), what it received (``recv``), the work it did (``work``: when the request
arrived, when a worker took it, when the work ended), duplicates it recognised,
and, for the initiator, when each saga ended. This module joins them:

* ``events``: one row per message sent, ``delivered`` when the receiver took
  it (the delivery its work came from, after a redelivery); ``NaN`` if nobody
  ever did.
* ``sagas``: per saga, ``start`` is the drawn arrival, ``end`` the end of the
  initiator's last work; ``queueing`` and ``service`` come from the work
  records, ``transit`` from the messages, ``coordination`` is the time from a
  message reaching the orchestrator to its next message out (its decisions).
  With faults, ``fault_wait`` is what the latency has beyond those four.
* ``stations``: per service, work served and busy time.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd

from .. import OUTCOMES
from ..analysis.result import Result
from ..analysis.trace import fifo_starts
from ..model.faults import ORCHESTRATOR
from ..sim.catalogue import CHANNELS, KINDS
from . import plan

__all__ = ["EndWatcher", "read_logs", "read_effects", "work_frame", "decisions", "result"]


class EndWatcher:
    """Counts the sagas the initiator ended, reading its log as it grows."""

    def __init__(self, path: Path):
        self.path, self.pos, self.ended, self.last, self.tail = path, 0, set(), 0.0, b""

    def count(self) -> int:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return 0
        self.pos += len(data)
        *lines, self.tail = (self.tail + data).split(b"\n")
        for line in lines:
            if b'"ev": "end"' in line:
                rec = json.loads(line)
                self.ended.add(rec["saga"])
                self.last = max(self.last, rec["t"])
        return len(self.ended)


def read_logs(workdir: str) -> list[dict]:
    """Every record of every service's log (a torn last line after kill -9 is skipped)."""
    out = []
    for path in sorted(Path(workdir).glob("*.log")):
        for line in path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def read_effects(workdir: str, services) -> pd.DataFrame:
    """The business changes each step's service committed: service, saga_id, action, at."""
    frames = []
    for name in services:
        with closing(sqlite3.connect(Path(workdir) / f"{name}.sqlite")) as conn:
            df = pd.read_sql_query("SELECT saga AS saga_id, action, at FROM effects", conn)
        frames.append(df.assign(service=name))
    return pd.concat(frames, ignore_index=True)[["service", "saga_id", "action", "at"]]


def _categorical(values, categories) -> pd.Categorical:
    return pd.Categorical(values, categories=list(categories))


def work_frame(logs, cfg, epoch) -> pd.DataFrame:
    """Every piece of work done, and how Python's scheduling stretched it.

    Columns: ``saga_id``, ``service``, ``action``; ``received``, ``start``,
    ``end`` (run time); ``ok``; ``drawn`` (the work time the simulator drew);
    ``trigger`` and ``reply`` (ids of the message that asked for it and of the
    one it produced); ``pickup`` (how long after a worker was free it really
    started: the event loop had other things to do) and ``overrun`` (how much
    longer than drawn it worked: a timer fires late on a busy machine).
    """
    draws, index = cfg["draws"], {s["name"]: k for k, s in enumerate(cfg["steps"])}
    capacity = {s["name"]: s["capacity"] for s in cfg["steps"]}
    capacity[cfg["initiator"]["name"]] = cfg["initiator"]["capacity"]
    undo = {s["compensation_command"] for s in cfg["steps"]}
    init = draws["initiator"]
    rows = []
    for r in logs:
        if r["ev"] != "work":
            continue
        sid, k = r["saga"], index.get(r["by"])
        if k is None:  # the initiator: its work at the start, or at the end
            drawn = init[sid][0 if r["action"] == "create" else 1] if init else 0.0
        else:
            drawn = draws["compensation" if r["action"] in undo else "service"][sid][k]
        rows.append((sid, r["by"], r["action"], r["recv"] - epoch, r["start"] - epoch,
                     r["end"] - epoch, bool(r["ok"]), drawn, r.get("id"), r.get("reply")))
    df = pd.DataFrame(rows, columns=["saga_id", "service", "action", "received", "start", "end",
                                     "ok", "drawn", "trigger", "reply"])
    df = df.sort_values("received", kind="stable", ignore_index=True)
    df["pickup"] = 0.0
    for name, g in df.groupby("service"):  # when a FIFO pool of workers would have started it
        free = fifo_starts(g["received"].to_numpy(), g["end"].to_numpy(), capacity[name])
        df.loc[g.index, "pickup"] = np.maximum(0.0, g["start"].to_numpy() - free)
    return df.assign(overrun=df["end"] - df["start"] - df["drawn"])


def events_frame(logs, saga, pattern, epoch) -> tuple[list, pd.DataFrame]:
    sends = [r for r in logs if r["ev"] == "send"]
    sends.sort(key=lambda r: r["t"])
    first_recv, worked = {}, {}
    for r in logs:
        if r["ev"] == "recv":
            if r["id"] not in first_recv or r["t"] < first_recv[r["id"]][0]:
                first_recv[r["id"]] = (r["t"], r["by"])
        elif r["ev"] == "work" and r.get("id"):
            worked[r["id"]] = r["recv"]
    who = plan.receivers(saga, pattern)
    rows = []
    for r in sends:
        got = first_recv.get(r["id"])
        if r["channel"] == "local":
            delivered = r["t"]
        elif r["id"] in worked:
            delivered = worked[r["id"]]
        else:
            delivered = got[0] if got else np.nan
        target = r["target"] or (got[1] if got else who.get(r["name"], "?"))
        rows.append((r["t"] - epoch, r["saga"], r["kind"], r["name"], r["source"], target,
                     r["channel"], delivered - epoch))
    df = pd.DataFrame(rows, columns=["time", "saga_id", "kind", "name", "source", "target",
                                     "channel", "delivered"])
    people = list(dict.fromkeys(list(df["source"]) + list(df["target"])))
    return [r["id"] for r in sends], pd.DataFrame({
        "time": df["time"].astype(float),
        "saga_id": df["saga_id"].astype(np.int64),
        "kind": _categorical(df["kind"], KINDS),
        "name": _categorical(df["name"], dict.fromkeys(df["name"])),
        "source": _categorical(df["source"], people),
        "target": _categorical(df["target"], people),
        "channel": _categorical(df["channel"], CHANNELS),
        "delivered": df["delivered"].astype(float),
    })


def decisions(events: pd.DataFrame) -> pd.DataFrame:
    """The orchestrator's decisions: per saga, from a message reaching it to its next one out."""
    rows = []
    if len(events) and ORCHESTRATOR in events["source"].cat.categories:
        for sid, g in events.groupby("saga_id", sort=False):
            sent = np.sort(g.loc[g["source"] == ORCHESTRATOR, "time"].to_numpy())
            for d in g.loc[g["target"] == ORCHESTRATOR, "delivered"].dropna().to_numpy():
                i = np.searchsorted(sent, d)
                if i < len(sent):
                    rows.append((sid, d, sent[i]))
    df = pd.DataFrame(rows, columns=["saga_id", "start", "end"]).astype(
        {"saga_id": np.int64, "start": float, "end": float})
    return df.assign(seconds=df["end"] - df["start"])


def outage_windows(crashes) -> dict:
    """``target -> [(down, up), ...]`` from the run's crashes (seconds of run time)."""
    out: dict = {}
    for c in crashes:
        up = c["restarted"] if c["restarted"] == c["restarted"] else np.inf
        out.setdefault(c["target"], []).append((c["killed"], up))
    return out


def _overlap(a, b, windows) -> float:
    """Seconds of ``[a, b]`` inside any of ``windows`` (merged first)."""
    total, reach = 0.0, -np.inf
    for lo, hi in sorted(windows):
        lo, hi = max(lo, a, reach), min(hi, b)
        if hi > lo:
            total += hi - lo
            reach = hi
    return total


def _waits(ev: pd.DataFrame, made: pd.DataFrame, windows: dict, n: int):
    """Per saga, transit and decision time that fell in an outage of a party involved."""
    in_transit, deciding = np.zeros(n), np.zeros(n)
    if windows:
        for r in ev.dropna(subset=["delivered"]).itertuples(index=False):
            w = windows.get(str(r.source), []) + windows.get(str(r.target), [])
            in_transit[r.saga_id] += _overlap(r.time, r.delivered, w)
        for r in made.itertuples(index=False):
            deciding[r.saga_id] += _overlap(r.start, r.end, windows.get(ORCHESTRATOR, []))
    return in_transit, deciding


def sagas_frame(logs, work, effects, events, saga, cfg, epoch, duration,
                crashes) -> pd.DataFrame:
    n, steps = cfg["n_sagas"], cfg["steps"]
    start = np.asarray(cfg["draws"]["start"], dtype=float)
    end = np.full(n, np.nan)
    for r in logs:
        if r["ev"] == "end" and np.isnan(end[r["saga"]]):
            end[r["saga"]] = r["t"] - epoch
    work = work.assign(queueing=work["start"] - work["received"],
                       service=work["end"] - work["start"])
    per = work.groupby("saga_id")[["queueing", "service"]].sum().reindex(range(n),
                                                                         fill_value=0.0)
    command = {s["command"]: k for k, s in enumerate(steps)}
    undo = {s["compensation_command"] for s in steps}
    fwd = work[work["action"].isin(command)]
    failed = np.full(n, -1)
    for sid, action in fwd.loc[~fwd["ok"], ["saga_id", "action"]].itertuples(index=False):
        failed[sid] = command[action]
    done = fwd[fwd["ok"]].groupby("saga_id")["action"].nunique().reindex(
        range(n), fill_value=0).to_numpy()
    comps = work[work["action"].isin(undo)].groupby("saga_id").size().reindex(
        range(n), fill_value=0).to_numpy()
    ev = events
    messages = ev.groupby("saga_id").size().reindex(range(n), fill_value=0).to_numpy()
    transit = (ev["delivered"] - ev["time"]).groupby(ev["saga_id"]).sum(min_count=1)
    transit = transit.reindex(range(n)).fillna(0.0).to_numpy()
    dlq = np.zeros(n, dtype=bool)
    dlq[ev.loc[ev["kind"] == "dlq", "saga_id"].to_numpy()] = True
    made = decisions(ev)
    coordination = made.groupby("saga_id")["seconds"].sum().reindex(
        range(n), fill_value=0.0).to_numpy(dtype=float)
    ended = ~np.isnan(end)
    outcome = np.where(~ended, OUTCOMES.index("stuck"),
                       np.where(dlq, OUTCOMES.index("dlq"),
                                np.where(failed >= 0, OUTCOMES.index("compensated"),
                                         OUTCOMES.index("completed"))))
    cancelled = {r["saga"] for r in logs if r["ev"] == "end" and r["status"] == "cancelled"}
    for sid in cancelled:  # cancelled after a technical failure: compensated all the same
        if outcome[sid] == OUTCOMES.index("completed"):
            outcome[sid] = OUTCOMES.index("compensated")
            failed[sid] = done[sid] if done[sid] < len(steps) else -1
    latency = end - start
    q, s = per["queueing"].to_numpy(), per["service"].to_numpy()
    # Time spent waiting for a crashed party is the fault's, not the network's or the
    # orchestrator's; so is what a crash adds that no other column holds (a lost request).
    in_transit, deciding = _waits(ev, made, outage_windows(crashes), n)
    transit, coordination = transit - in_transit, coordination - deciding
    fault_wait = in_transit + deciding
    if crashes:
        rest = latency - q - s - transit - coordination - fault_wait
        fault_wait += np.where(ended, np.maximum(0.0, np.nan_to_num(rest)), 0.0)
    eff = effects[effects["service"] != cfg["initiator"]["name"]]
    dups = (eff.groupby(["service", "saga_id", "action"]).size() - 1).groupby(
        "saga_id").sum().reindex(range(n), fill_value=0).to_numpy()
    incons = _inconsistent(eff, epoch, end, outcome, duration, n)
    cmds = ev[(ev["source"] == ORCHESTRATOR) & ev["kind"].isin(["command", "compensation"])]
    retries = (cmds.groupby(["saga_id", "name"], observed=True).size() - 1).groupby(
        "saga_id").sum().reindex(range(n), fill_value=0).to_numpy()
    return pd.DataFrame({
        "saga_id": np.arange(n, dtype=np.int64),
        "start": start, "end": end, "latency": latency,
        "outcome": pd.Categorical.from_codes(outcome.astype(np.int8), OUTCOMES),
        "failed_step": pd.Categorical.from_codes(failed.astype(np.int16), list(saga.step_names)),
        "steps_completed": done.astype(np.int16),
        "compensations": comps.astype(np.int16),
        "messages": messages.astype(np.int32),
        "queueing": q, "service": s, "transit": transit, "coordination": coordination,
        "fault_wait": fault_wait, "inconsistent": incons,
        "duplicates": dups.astype(np.int32), "retries": retries.astype(np.int32),
        "late_replies": np.zeros(n, dtype=np.int32),
    })


def _inconsistent(eff, epoch, end, outcome, duration, n) -> np.ndarray:
    """Seconds from a saga's first committed effect to its last (DLQ, stuck: to its end)."""
    out = np.zeros(n)
    if not len(eff):
        return out
    span = eff.groupby("saga_id")["at"].agg(["min", "max"]) - epoch
    for sid, (first, last) in span.iterrows():
        if outcome[sid] == OUTCOMES.index("dlq"):
            last = end[sid]
        elif outcome[sid] == OUTCOMES.index("stuck"):
            last = duration
        out[sid] = last - first
    return out


def stations_frame(work, events, saga, pattern, duration) -> pd.DataFrame:
    rows = []
    caps = {s.name: s.capacity for s in saga.steps}
    if saga.initiator_time is not None:
        caps[saga.initiator] = saga.initiator_capacity
    for name, cap in caps.items():
        w = work[work["service"] == name]
        busy = float((w["end"] - w["start"]).sum())
        rows.append({"station": name, "capacity": cap, "served": len(w), "busy": busy})
    if pattern == "orchestration":
        made = decisions(events)["seconds"]
        rows.append({"station": ORCHESTRATOR, "capacity": 1, "served": len(made),
                     "busy": float(made.sum())})
    df = pd.DataFrame(rows, columns=["station", "capacity", "served", "busy"])
    df["utilization"] = df["busy"] / (df["capacity"] * duration) if duration else 0.0
    return df.set_index("station")


def result(saga, pattern, cfg, logs, effects, *, epoch, end, params, live) -> Result:
    """The run's Result: the simulator's tables, plus ``params["live"]``."""
    duration = end - epoch
    work = work_frame(logs, cfg, epoch)
    ids, events = events_frame(logs, saga, pattern, epoch)
    sagas = sagas_frame(logs, work, effects, events, saga, cfg, epoch, duration,
                        live["crashes"])
    stations = stations_frame(work, events, saga, pattern, duration)
    # Aligned with events: the overrun of the work that sent each message, the pickup of the
    # work it asked for (see sagalab.live.calibrate).
    overrun = work.dropna(subset=["reply"]).set_index("reply")["overrun"]
    pickup = work.dropna(subset=["trigger"]).drop_duplicates("trigger").set_index(
        "trigger")["pickup"]
    live["overrun"] = overrun.reindex(ids).fillna(0.0).to_numpy()
    live["pickup"] = pickup.reindex(ids).fillna(0.0).to_numpy()
    deliveries = pd.DataFrame(
        [(r["t"] - epoch, r["saga"], r["name"], r["by"], r["ev"] == "duplicate")
         for r in logs if r["ev"] in ("recv", "duplicate")],
        columns=["time", "saga_id", "name", "by", "duplicate"]).sort_values("time",
                                                                           ignore_index=True)
    crashes = pd.DataFrame(live.pop("crashes"), columns=["target", "planned", "killed",
                                                         "restarted", "failpoint"])
    said = {}  # what each failpoint crash found in progress, in order, per target
    for r in logs:
        if r["ev"] == "crash":
            said.setdefault(r["by"], []).append(r["busy"])
    crashes["busy"] = [said.get(row.target, []).pop(0) if row.failpoint and said.get(row.target)
                       else [] for row in crashes.itertuples()]
    eff = effects.assign(at=effects["at"] - epoch)
    live.update(deliveries=deliveries, effects=eff, crashes=crashes, work=work,
                absorbed=int(deliveries["duplicate"].sum()),
                listening=pd.DataFrame(live["listening"], columns=["process", "address", "port"]))
    return Result(sagas=sagas, events=events, stations=stations,
                  params=dict(params, duration=duration, live=live))
