"""What every service of the live run shares: its log, its database, its outbox relay,
its Redis Streams consumer, its HTTP server, and the failpoint that kills it.

These programs run as separate OS processes started by :func:`sagalab.live.run`;
they import nothing from sagalab (only the standard library, ``redis`` and
``aiohttp``), so each one can be read, and run, on its own.

* :class:`TraceLog`: one JSON object per line for every message sent or received
  and every piece of work done. A line is one ``write()``, so it survives ``kill -9``.
  The run reads these logs to build ``result.events`` and ``result.sagas``.
* :class:`Database`: the service's own SQLite file. Business changes (``effects``),
  the **transactional outbox** and the **processed-messages** table are written in
  one local transaction.
* :class:`OutboxRelay`: publishes committed outbox rows to Redis Streams, oldest
  first; a row published twice (a crash between ``XADD`` and marking it) is a
  duplicate the consumer's processed-messages table absorbs.
* :class:`StreamConsumer`: a member of a Redis Streams consumer group. After a
  restart it first reads its own pending entries (delivered, never acknowledged),
  then new ones; it acknowledges an entry only after the handler's transaction
  committed, in batches, the next time it reads.
* :class:`Failpoint`: ``kill -9`` at the moment the simulator assumes a crash
  lands: on ``SIGUSR1`` the work in progress commits, then the process kills
  itself before it publishes, replies or acknowledges.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import redis.asyncio as aioredis
from aiohttp import web

BLOCK_MS = 50  # longest wait of one XREADGROUP, milliseconds (acks are flushed between reads)
BATCH = 16     # entries read at once; after a crash the unacknowledged ones come back together
now = time.monotonic  # CLOCK_MONOTONIC is system-wide: every process of a run shares this clock


# -- starting up -------------------------------------------------------------------
def load_config() -> tuple[dict, str, dict]:
    """``(config, my name, peers' HTTP ports)`` from the command line the run gave us.

    A service restarted after a crash is started while it is still "down" and told
    ``--hold-until`` (a ``now()`` time): it waits here, imports done, until its outage ends.
    """
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--peers", default="{}")
    p.add_argument("--hold-until", type=float, default=0.0)
    args = p.parse_args()
    time.sleep(max(0.0, args.hold_until - now()))
    with open(args.config) as f:
        return json.load(f), args.name, json.loads(args.peers)


def announce_ready(port: int | None = None) -> None:
    """Tell the run we are up (and on which port), then give stdout to the error log."""
    os.write(1, f"READY {port or 0}\n".encode())
    os.dup2(2, 1)  # libraries that print must not fill a pipe nobody reads


async def parent_gone() -> None:
    """Return when the run that started us closes our stdin (it stopped or died)."""
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        pass


async def read_go() -> tuple[float, int]:
    """Wait for the run's ``GO <epoch> <orchestrator port>`` line on stdin."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    _, epoch, port = line.split()
    return float(epoch), int(port)


def kebab(name: str) -> str:
    """``ProcessPayment`` -> ``process-payment`` (the seed's ``POST /process-payment``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


# -- messages and the log ----------------------------------------------------------
def new_id() -> str:
    return uuid.uuid4().hex


def message(name: str, kind: str, saga: int, source: str, sent: float, **extra) -> dict:
    """A message as it travels (stream entry fields or JSON body): strings only."""
    return {"id": new_id(), "name": name, "kind": kind, "saga": str(saga),
            "source": source, "sent": repr(sent), **{k: str(v) for k, v in extra.items()}}


class TraceLog:
    """Append-only JSON-lines log: what this process sent, received and did."""

    def __init__(self, path: str, who: str):
        self.f = open(path, "a", buffering=1)  # line-buffered: one write() per record
        self.who, self.lock = who, threading.Lock()  # DBOS runs some steps on its own threads

    def write(self, ev: str, **fields) -> None:
        line = json.dumps({"ev": ev, "by": self.who, **fields}) + "\n"
        with self.lock:
            self.f.write(line)

    def sent(self, msg: dict, channel: str, target: str | None = None) -> None:
        self.write("send", id=msg["id"], saga=int(msg["saga"]), name=msg["name"],
                   kind=msg["kind"], source=msg["source"], target=target, channel=channel,
                   t=float(msg["sent"]))

    def received(self, msg: dict, t: float) -> None:
        self.write("recv", id=msg["id"], saga=int(msg["saga"]), name=msg["name"], t=t)


# -- the local database ------------------------------------------------------------
SCHEMA = """
CREATE TABLE IF NOT EXISTS effects (saga INTEGER, action TEXT, at REAL);
CREATE TABLE IF NOT EXISTS processed (key TEXT PRIMARY KEY, reply TEXT);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT,
                                   message TEXT, published INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS dead_letters (saga INTEGER, message TEXT, at REAL);
"""


class Database:
    """The service's own SQLite database.

    A commit is durable against a crash of the process (kill -9, what the runs stage): it is
    in the operating system's cache. Not against a power loss: no fsync, so that a busy disk
    shared with other work cannot stall the service.
    """

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")  # no fsync: survives kill -9, not power loss
        self.conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self):
        """One local transaction: everything inside commits together, or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def seen(self, key: str) -> dict | None:
        """The reply stored for an already processed message, or None."""
        row = self.conn.execute("SELECT reply FROM processed WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def mark_processed(self, key: str, reply: dict) -> None:
        self.conn.execute("INSERT OR REPLACE INTO processed VALUES (?, ?)",
                          (key, json.dumps(reply)))

    def apply(self, saga: int, action: str) -> None:
        self.conn.execute("INSERT INTO effects VALUES (?, ?, ?)", (saga, action, now()))

    def to_outbox(self, stream: str, msg: dict) -> None:
        self.conn.execute("INSERT INTO outbox (stream, message) VALUES (?, ?)",
                          (stream, json.dumps(msg)))

    def dead_letter(self, saga: int, msg: dict) -> None:
        self.conn.execute("INSERT INTO dead_letters VALUES (?, ?, ?)",
                          (saga, json.dumps(msg), now()))

    def unpublished(self) -> list:
        return self.conn.execute("SELECT seq, stream, message FROM outbox WHERE published = 0 "
                                 "ORDER BY seq").fetchall()

    def mark_published(self, seq: int) -> None:
        self.conn.execute("UPDATE outbox SET published = 1 WHERE seq = ?", (seq,))


# -- crashing on purpose -----------------------------------------------------------
class Failpoint:
    """``kill -9`` right after a commit, before anything leaves: armed by ``SIGUSR1``.

    Work runs as ``await failpoint.work(seconds)`` between ``enter`` and ``leave``.
    Once armed, a work in progress stops at once and commits (the crash lands
    after the commit, as the simulator assumes); when the last one has committed
    the process sends itself SIGKILL. Nothing new starts.
    """

    def __init__(self, log: TraceLog):
        self.log, self.busy, self.armed = log, set(), asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, self.arm)

    def arm(self) -> None:
        self.log.write("crash", t=now(), busy=sorted(self.busy))
        self.armed.set()
        if not self.busy:
            self.die()

    def die(self) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    async def enter(self, saga: int) -> None:
        if self.armed.is_set():
            await asyncio.Event().wait()  # never: we are about to die
        self.busy.add(saga)

    async def work(self, seconds: float) -> None:
        """Sleep for the drawn work time, unless the failpoint is armed first."""
        if seconds > 0:
            try:
                await asyncio.wait_for(self.armed.wait(), seconds)
            except TimeoutError:
                pass

    async def leave(self, saga: int) -> None:
        """After the commit: die here if armed (the last one out kills us), else go on."""
        self.busy.discard(saga)
        if self.armed.is_set():
            if not self.busy:
                self.die()
            await asyncio.Event().wait()


# -- Redis Streams -------------------------------------------------------------------
class OutboxRelay:
    """Publishes committed outbox rows to their streams, oldest first (at least once)."""

    def __init__(self, db: Database, redis, log: TraceLog, failpoint: Failpoint | None = None):
        self.db, self.redis, self.log, self.failpoint = db, redis, log, failpoint
        self.wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            self.wake.clear()
            rows = self.db.unpublished()
            for seq, stream, text in rows:
                if self.failpoint is not None and self.failpoint.armed.is_set():
                    await asyncio.Event().wait()  # crashing: nothing leaves any more
                msg = json.loads(text)
                await self.redis.xadd(stream, msg)
                self.log.sent(msg, "broker")
                self.db.mark_published(seq)
            if not rows:
                await self.wake.wait()


class StreamConsumer:
    """One member (named after its service) of a consumer group on several streams.

    ``handle(stream, entry)`` runs as a task per entry, at most ``prefetch`` at a
    time; the entry is acknowledged after it returns (its transaction committed).
    """

    def __init__(self, redis, group: str, streams, handle, log: TraceLog, *, prefetch: int):
        self.redis, self.group, self.streams, self.handle = redis, group, list(streams), handle
        self.log, self.slots = log, asyncio.Semaphore(prefetch)
        self.acks: dict[str, list[str]] = {s: [] for s in self.streams}
        self.tasks: set = set()

    async def run(self) -> None:
        for s in self.streams:
            try:  # from the beginning: nothing published before we first came up is missed
                await self.redis.xgroup_create(s, self.group, id="0", mkstream=True)
            except Exception as e:  # BUSYGROUP: the group survived our restart
                if "BUSYGROUP" not in str(e):
                    raise
        # First our own pending entries (delivered before a crash, never acknowledged), page
        # by page, then new ones.
        position = {s: "0" for s in self.streams}
        while True:
            await self.flush_acks()
            got = await self.redis.xreadgroup(self.group, self.group, position, count=BATCH,
                                              block=BLOCK_MS)
            t = now()
            entries = [(s, eid, f) for s, items in got or [] for eid, f in items]
            if position[self.streams[0]] != ">":
                for s, eid, _ in entries:
                    position[s] = eid
                if not entries:
                    position = {s: ">" for s in self.streams}
            for stream, eid, fields in entries:
                if not fields:
                    continue
                await self.slots.acquire()
                task = asyncio.create_task(self.process(stream, eid, fields, t))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def process(self, stream: str, eid: str, fields: dict, t: float) -> None:
        try:
            await self.handle(stream, fields, t)
            self.acks[stream].append(eid)
        finally:
            self.slots.release()

    async def flush_acks(self) -> None:
        for s, ids in self.acks.items():
            if ids:
                self.acks[s] = []
                await self.redis.xack(s, self.group, *ids)


async def connect_redis(cfg: dict):
    return aioredis.Redis(host="127.0.0.1", port=cfg["redis_port"], decode_responses=True)


# -- HTTP ----------------------------------------------------------------------------
async def serve_http(routes: dict, port: int = 0):
    """Serve ``{path: handler}`` on 127.0.0.1; returns the port (chosen by the OS if 0)."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_post(path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    return runner.addresses[0][1]


def http_reply(reply: dict):
    """A reply as an HTTP response: 200 for success, 422 for a business failure."""
    status = 422 if reply["kind"] in ("failure",) else 200
    return web.json_response(reply, status=status)


async def main_until_parent_gone(*tasks) -> None:
    """Run the service's tasks until the run closes stdin; a task that fails ends us loudly."""
    gone = asyncio.ensure_future(parent_gone())
    pending = {gone, *tasks}
    while gone in pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            if t is not gone and t.exception() is not None:
                raise t.exception()
