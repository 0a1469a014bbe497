"""Payment, Inventory, Shipping: one saga step's service, as a small asyncio program.

The seed's ``PaymentService`` has ``processPayment`` and ``refundPayment``; each
step's service here has the same two methods, :meth:`StepService.process` (the
step's local transaction) and :meth:`StepService.compensate` (the compensating
transaction: a refund, a release). Both sleep the work time the simulator drew
for this saga and fail where it drew a failure, then commit the business change,
the processed-message record and (with an outbox) the outgoing message in one
SQLite transaction. Only the way requests arrive and answers leave depends on
the pattern:

* **choreography**: the service is a consumer on its neighbours' streams
  (``order.events`` and ``inventory.events`` for Payment) and publishes its own
  events to ``payment.events`` (through the outbox, or by a dual write);
* **orchestration, sync**: ``POST /process-payment`` and ``POST /refund-payment``,
  answered in the HTTP response (200, or 422 for a business failure);
* **orchestration, async**: commands from ``payment.commands``, replies to
  ``orchestrator.replies``.

Started by :func:`sagalab.live.run` as
``python step_service.py --config run.json --name payment``.
"""
from __future__ import annotations

import asyncio

import plumbing as p

# The kind of each answer, by pattern (as the simulator's event log names them).
KINDS = {"choreography": {"done": "success", "failed": "failure", "undone": "compensation",
                          "undo_failed": "compensation"},
         "orchestration": {"done": "reply", "failed": "failure", "undone": "reply",
                           "undo_failed": "failure"}}


class StepService:
    """One step's service: ``process`` and ``compensate``, each one local transaction."""

    def __init__(self, cfg: dict, name: str, db: p.Database, log: p.TraceLog,
                 failpoint: p.Failpoint):
        self.name, self.db, self.log, self.failpoint = name, db, log, failpoint
        self.k = [s["name"] for s in cfg["steps"]].index(name)
        self.spec = s = cfg["steps"][self.k]
        self.pattern, self.kinds = cfg["pattern"], KINDS[cfg["pattern"]]
        draws = cfg["draws"]
        self.work = [row[self.k] for row in draws["service"]]
        self.fails = [row[self.k] for row in draws["fails"]]
        self.undo_work = [row[self.k] for row in draws["compensation"]]
        self.undo_fails = [row[self.k] for row in draws["compensation_fails"]]
        self.workers = asyncio.Semaphore(s["capacity"])  # FIFO, like the simulator's station
        self.out_stream = None  # sync orchestration answers in the HTTP response
        if cfg["pattern"] == "choreography":
            self.out_stream = f"{name}.events"
        elif cfg["transport"] == "async":
            self.out_stream = "orchestrator.replies"
        self.redis = self.relay = None

    # -- the seed's service methods -----------------------------------------------
    async def process(self, msg: dict, received: float):
        """``processPayment``: the step's local transaction. Returns (reply, duplicate)."""
        s, saga = self.spec, int(msg["saga"])
        return await self.local_transaction(
            msg, received, seconds=self.work[saga], fails=self.fails[saga], action=s["command"],
            ok=(s["success"], self.kinds["done"]), failed=(s["failure"], self.kinds["failed"]))

    async def compensate(self, msg: dict, received: float):
        """``refundPayment``: undo the step. A compensation that fails is a dead letter."""
        s, saga = self.spec, int(msg["saga"])
        return await self.local_transaction(
            msg, received, seconds=self.undo_work[saga], fails=self.undo_fails[saga],
            action=s["compensation_command"], ok=(s["compensated"], self.kinds["undone"]),
            failed=(s["compensation_failed"], self.kinds["undo_failed"]),
            dead_letter=self.pattern == "choreography")

    async def local_transaction(self, msg, received, *, seconds, fails, action, ok, failed,
                                dead_letter=False):
        saga = int(msg["saga"])
        key = msg.get("key") or msg["id"]  # what makes a redelivered request recognisable
        stored = self.duplicate(key, msg, received)
        if stored is not None:  # the effect is in already: do nothing again
            return stored, True
        letter = None
        async with self.workers:
            await self.failpoint.enter(saga)
            started = p.now()
            await self.failpoint.work(seconds)  # the work itself
            ended = p.now()
            with self.db.transaction():
                stored = self.duplicate(key, msg, received)  # again, inside: check and commit
                if stored is None:                            # are one atomic step
                    if not fails:
                        self.db.apply(saga, action)
                    elif dead_letter:  # "in production, this would go to DLQ or manual review"
                        letter = p.message(failed[0], "dlq", saga, self.name, ended)
                        self.db.dead_letter(saga, letter)
                    name, kind = failed if fails else ok
                    reply = p.message(name, kind, saga, self.name, p.now() if letter else ended,
                                      reply_to=msg["id"])
                    self.db.mark_processed(key, reply)
                    if self.out_stream and self.spec["outbox"]:
                        self.db.to_outbox(self.out_stream, reply)
            if stored is None:
                self.log.write("work", saga=saga, action=action, id=msg["id"], recv=received,
                               start=started, end=ended, ok=not fails, reply=reply["id"])
            await self.failpoint.leave(saga)  # a crash lands here: committed, nothing sent
        if stored is not None:
            return stored, True
        if letter is not None:
            self.log.sent(letter, "local", "dlq")
        if self.out_stream:
            if self.spec["outbox"]:
                self.relay.wake.set()
            else:  # a dual write: commit, then publish; a crash in between loses the event
                await self.redis.xadd(self.out_stream, reply)
                self.log.sent(reply, "broker")
        return reply, False

    def duplicate(self, key: str, msg: dict, received: float) -> dict | None:
        """The stored reply if this request was processed before (and we deduplicate)."""
        stored = self.db.seen(key) if self.spec["idempotent"] else None
        if stored is not None:
            self.log.write("duplicate", saga=int(msg["saga"]), id=msg["id"], name=msg["name"],
                           key=key, t=received)
        return stored

    # -- how requests arrive -------------------------------------------------------
    def event_routes(self, cfg: dict) -> dict:
        """Choreography: which (stream, event) makes this service do what."""
        steps, ini, k = cfg["steps"], cfg["initiator"], self.k
        if k == 0:
            routes = {(f"{ini['name']}.events", ini["created"]): self.process}
        else:
            up = steps[k - 1]
            routes = {(f"{up['name']}.events", up["success"]): self.process}
        if k + 1 < len(steps):  # the next step failed or was undone: undo ours
            down = steps[k + 1]
            for event in (down["failure"], down["compensated"], down["compensation_failed"]):
                routes[(f"{down['name']}.events", event)] = self.compensate
        return routes

    def command_routes(self) -> dict:
        """Async orchestration: the commands on ``<name>.commands``."""
        stream = f"{self.name}.commands"
        return {(stream, self.spec["command"]): self.process,
                (stream, self.spec["compensation_command"]): self.compensate}

    def consumer_handler(self, routes: dict):
        async def handle(stream: str, msg: dict, received: float) -> None:
            method = routes.get((stream, msg["name"]))
            if method is None:
                return  # not for us (acknowledged all the same)
            self.log.received(msg, received)
            reply, duplicate = await method(msg, received)
            if duplicate and self.pattern == "orchestration":
                # a command sent again (its orchestrator restarted): answer it again
                reply = dict(reply, id=p.new_id(), sent=repr(p.now()))
                await self.redis.xadd(self.out_stream, reply)
                self.log.sent(reply, "broker")
        return handle

    def http_handler(self, method):
        async def handle(request):
            received = p.now()
            msg = await request.json()
            self.log.received(msg, received)
            reply, duplicate = await method(msg, received)
            if duplicate:  # the call was retried: answer again, as a new message
                reply = dict(reply, id=p.new_id(), sent=repr(p.now()))
            self.log.sent(reply, "network", "orchestrator")
            return p.http_reply(reply)
        return handle


async def main() -> None:
    cfg, name, peers = p.load_config()
    log = p.TraceLog(f"{cfg['dir']}/{name}.log", name)
    db = p.Database(f"{cfg['dir']}/{name}.sqlite")
    service = StepService(cfg, name, db, log, p.Failpoint(log))
    tasks, port = [], None
    if cfg["pattern"] == "orchestration" and cfg["transport"] == "sync":
        s = service.spec
        port = await p.serve_http({
            f"/{p.kebab(s['command'])}": service.http_handler(service.process),
            f"/{p.kebab(s['compensation_command'])}": service.http_handler(service.compensate),
        }, peers.get(name, 0))
    else:
        service.redis = redis = await p.connect_redis(cfg)
        await redis.ping()
        service.relay = p.OutboxRelay(db, redis, log, service.failpoint)
        routes = (service.event_routes(cfg) if cfg["pattern"] == "choreography"
                  else service.command_routes())
        consumer = p.StreamConsumer(redis, name, sorted({s for s, _ in routes}),
                                    service.consumer_handler(routes), log,
                                    prefetch=service.spec["capacity"] + p.BATCH)
        tasks = [asyncio.create_task(service.relay.run()), asyncio.create_task(consumer.run())]
    p.announce_ready(port)
    await p.main_until_parent_gone(*tasks)


if __name__ == "__main__":
    asyncio.run(main())
