"""Order: the initiator service, as a small asyncio program.

It creates each order at the arrival time the simulator drew for that saga
(``OrderCreated`` in choreography, ``StartSaga`` to the orchestrator in
orchestration) and, at the end of the saga, completes or cancels it
(``completeOrder`` / ``cancelOrder`` in the seed). Both are local transactions
that sleep the order's drawn work time and commit the order's row with the
outgoing message (transactional outbox).

How the end arrives depends on the pattern:

* **choreography**: it consumes ``shipping.events`` (``ShippingScheduled``:
  complete) and ``payment.events`` (``PaymentFailed``, ``PaymentRefunded``:
  cancel);
* **orchestration, sync**: ``POST /complete-order`` and ``POST /cancel-order``
  from the orchestrator; it posts ``StartSaga`` to ``/start-saga``, and while the
  orchestrator is down it tries again;
* **orchestration, async**: ``StartSaga`` goes to ``orchestrator.commands``; the
  end comes as a command on ``order.commands``.

Started by :func:`sagalab.live.run` as
``python order_service.py --config run.json --name order``; it waits for the
run's ``GO`` line on stdin before the first order.
"""
from __future__ import annotations

import asyncio

import aiohttp

import plumbing as p

RETRY = 0.02  # seconds between tries of StartSaga while the orchestrator is down


class OrderService:
    """The seed's ``OrderService``: create an order, then complete or cancel it."""

    def __init__(self, cfg: dict, db: p.Database, log: p.TraceLog):
        self.cfg, self.db, self.log = cfg, db, log
        self.ini = ini = cfg["initiator"]
        self.name = ini["name"]
        self.starts = cfg["draws"]["start"]
        self.init = cfg["draws"]["initiator"]  # per saga (start work, end work), or None
        self.workers = asyncio.Semaphore(ini["capacity"])
        self.out_stream = {"choreography": f"{self.name}.events",
                           "async": "orchestrator.commands"}.get(
            cfg["pattern"] if cfg["pattern"] == "choreography" else cfg["transport"])
        self.redis = self.relay = self.session = self.orchestrator_url = None
        self.tasks: set = set()

    async def arrivals(self, epoch: float) -> None:
        """Create order k at the run's start plus the k-th drawn arrival time."""
        for saga, start in enumerate(self.starts):
            await asyncio.sleep(max(0.0, epoch + start - p.now()))
            task = asyncio.create_task(self.create_order(saga, epoch + start))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def work(self, saga: int, which: int) -> tuple[float, float]:
        started = p.now()
        await asyncio.sleep(self.init[saga][which] if self.init else 0.0)
        return started, p.now()

    async def create_order(self, saga: int, due: float) -> None:
        async with self.workers:
            started, ended = await self.work(saga, 0)
            if self.cfg["pattern"] == "choreography":
                msg = p.message(self.ini["created"], "success", saga, self.name, ended)
            else:
                msg = p.message(self.ini["start"], "command", saga, self.name, ended)
            with self.db.transaction():
                self.db.apply(saga, "create")
                if self.out_stream:
                    self.db.to_outbox(self.out_stream, msg)
            self.log.write("work", saga=saga, action="create", id=None, recv=due,
                           start=started, end=ended, ok=True, reply=msg["id"])
        if self.out_stream:
            self.relay.wake.set()
        else:
            await self.start_saga(msg)

    async def start_saga(self, msg: dict) -> None:
        """Sync orchestration: ``POST /start-saga``, again and again while nobody answers."""
        self.log.sent(msg, "network", "orchestrator")
        while True:
            try:
                async with self.session.post(f"{self.orchestrator_url}/start-saga",
                                             json=msg) as r:
                    r.raise_for_status()
                    return
            except aiohttp.ClientError:  # the orchestrator is down: it keeps the saga waiting
                await asyncio.sleep(RETRY)

    async def finish_order(self, msg: dict, received: float) -> None:
        """``completeOrder`` / ``cancelOrder``: the saga's last local transaction."""
        saga = int(msg["saga"])
        completed = msg["name"] in self.completions
        key = msg.get("key") or msg["id"]
        if self.db.seen(key) is not None:
            self.log.write("duplicate", saga=saga, id=msg["id"], name=msg["name"], key=key,
                               t=received)
            return
        async with self.workers:
            started, ended = await self.work(saga, 1)
            with self.db.transaction():
                self.db.apply(saga, "complete" if completed else "cancel")
                self.db.mark_processed(key, {"name": msg["name"]})
            self.log.write("work", saga=saga, action="complete" if completed else "cancel",
                           id=msg["id"], recv=received, start=started, end=ended, ok=True)
            self.log.write("end", saga=saga, t=ended,
                           status="completed" if completed else "cancelled")

    @property
    def completions(self) -> set:
        last = self.cfg["steps"][-1]
        return {last["success"], self.ini["complete"]}

    def routes(self) -> dict:
        """The (stream, message) pairs that end a saga here."""
        steps, ini = self.cfg["steps"], self.ini
        if self.cfg["pattern"] == "choreography":
            first, last = steps[0], steps[-1]
            routes = {(f"{last['name']}.events", last["success"])}
            routes |= {(f"{first['name']}.events", e) for e in
                       (first["failure"], first["compensated"], first["compensation_failed"])}
            return {r: self.finish_order for r in routes}
        return {(f"{self.name}.commands", c): self.finish_order
                for c in (ini["complete"], ini["cancel"])}

    def consumer_handler(self):
        routes = self.routes()

        async def handle(stream: str, msg: dict, received: float) -> None:
            method = routes.get((stream, msg["name"]))
            if method is not None:
                self.log.received(msg, received)
                await method(msg, received)
        return handle

    async def http_finish(self, request):
        received = p.now()
        msg = await request.json()
        self.log.received(msg, received)
        await self.finish_order(msg, received)
        return p.http_reply({"kind": "reply"})


async def main() -> None:
    cfg, name, peers = p.load_config()
    log = p.TraceLog(f"{cfg['dir']}/{name}.log", name)
    db = p.Database(f"{cfg['dir']}/{name}.sqlite")
    order = OrderService(cfg, db, log)
    tasks, port = [], None
    if cfg["pattern"] == "orchestration" and cfg["transport"] == "sync":
        order.session = aiohttp.ClientSession()
        port = await p.serve_http({f"/{p.kebab(cfg['initiator'][c])}": order.http_finish
                                   for c in ("complete", "cancel")}, peers.get(name, 0))
    else:
        order.redis = redis = await p.connect_redis(cfg)
        await redis.ping()
        order.relay = p.OutboxRelay(db, redis, log)
        routes = order.routes()
        consumer = p.StreamConsumer(redis, name, sorted({s for s, _ in routes}),
                                    order.consumer_handler(), log,
                                    prefetch=cfg["initiator"]["capacity"] + p.BATCH)
        tasks = [asyncio.create_task(order.relay.run()), asyncio.create_task(consumer.run())]
    p.announce_ready(port)
    epoch, orchestrator_port = await p.read_go()
    order.orchestrator_url = f"http://127.0.0.1:{orchestrator_port}"
    tasks.append(asyncio.create_task(order.arrivals(epoch)))
    await p.main_until_parent_gone(*tasks)


if __name__ == "__main__":
    asyncio.run(main())
