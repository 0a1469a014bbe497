"""The seed's ``SagaOrchestrator``, ported to Python as written.

Put it beside the TypeScript in the seed: the same ``executeOrderSaga`` (one
step after another, each pushed to ``saga.steps`` once its call returned), the
same ``compensate`` (reverse order; a compensation that fails is caught and
handed to the dead-letter queue, "in production, this would go to DLQ or manual
review"), then ``cancelOrder``. The saga's state lives in this process's memory
and nowhere else: ``kill -9`` it and every saga in flight is stuck.

The services it calls are *participants*: over HTTP (``POST /process-payment``,
waiting for the response) or over Redis Streams (the command to
``payment.commands``, the reply back on ``orchestrator.replies``). The
orchestrator's code is the same for both.

Started by :func:`sagalab.live.run` as
``python saga_orchestrator.py --config run.json --name orchestrator --peers '{...}'``.
"""
from __future__ import annotations

import asyncio
import uuid

import aiohttp

import plumbing as p

NAME = "orchestrator"


class StepFailed(Exception):
    """A service answered with a failure (the seed's services throw)."""

    def __init__(self, reply: dict):
        super().__init__(reply["name"])
        self.reply = reply


class Participant:
    """A service as the orchestrator sees it: ``execute`` and ``compensate`` (and the order's
    ``complete_order`` / ``cancel_order``), each a command awaited until its reply."""

    def __init__(self, name: str, spec: dict, log: p.TraceLog, send):
        self.name, self.spec, self.log, self.send = name, spec, log, send

    async def call(self, command: str, kind: str, order_id: int, *, wait: bool = True) -> dict:
        msg = p.message(command, kind, order_id, NAME, p.now(), key=f"{order_id}:{command}")
        reply = await self.send(self.name, msg, wait)
        if reply is not None and reply["kind"] == "failure":
            raise StepFailed(reply)
        return reply

    async def execute(self, order_id: int) -> dict:  # processPayment
        return await self.call(self.spec["command"], "command", order_id)

    async def compensate(self, order_id: int) -> dict:  # refundPayment
        return await self.call(self.spec["compensation_command"], "compensation", order_id)

    async def complete_order(self, order_id: int) -> None:
        await self.call(self.spec["complete"], "command", order_id, wait=False)

    async def cancel_order(self, order_id: int, reason: str) -> None:
        await self.call(self.spec["cancel"], "command", order_id, wait=False)


class SagaOrchestrator:
    """The seed's orchestrator: state in memory, reverse-order compensation, a DLQ."""

    def __init__(self, order_service: Participant, services: list[Participant],
                 log: p.TraceLog):
        self.order_service = order_service
        self.services = services  # payment, inventory, shipping: the saga's steps in order
        self.by_name = {s.name: s for s in services}
        self.log = log

    async def execute_order_saga(self, order_id: int) -> dict:
        saga = {"id": str(uuid.uuid4()), "order_id": order_id, "status": "in-progress",
                "steps": [], "started_at": p.now()}
        try:
            for service in self.services:
                # STEP i: Process Payment, Reserve Inventory, Schedule Shipping, ...
                data = await service.execute(order_id)
                saga["steps"].append({"name": service.name, "status": "success", "data": data})

            # SAGA SUCCESS
            saga["status"] = "completed"
            saga["completed_at"] = p.now()
            await self.order_service.complete_order(order_id)
            return saga

        except Exception as error:
            # SAGA FAILURE - COMPENSATE
            saga["status"] = "compensating"
            await self.compensate(saga)
            saga["status"] = "failed"
            saga["failed_at"] = p.now()
            saga["error"] = str(error)
            return saga

    async def compensate(self, saga: dict) -> None:
        # Compensate in reverse order
        for step in reversed(saga["steps"]):
            service = self.by_name[step["name"]]
            try:
                await service.compensate(saga["order_id"])
            except Exception:
                # In production, this would go to DLQ or manual review: here it does.
                self.dead_letter(saga["order_id"], service.spec["compensation_failed"])
        # Finally, cancel the order
        await self.order_service.cancel_order(saga["order_id"], "Saga failed")

    def dead_letter(self, order_id: int, name: str) -> None:
        self.log.sent(p.message(name, "dlq", order_id, NAME, p.now()), "local", "dlq")


# -- transports ---------------------------------------------------------------------
class Http:
    """Commands as ``POST /<command>`` on the service's port; the response is the reply."""

    def __init__(self, ports: dict, log: p.TraceLog):
        self.ports, self.log = ports, log
        self.session = aiohttp.ClientSession()

    async def send(self, target: str, msg: dict, wait: bool) -> dict | None:
        url = f"http://127.0.0.1:{self.ports[target]}/{p.kebab(msg['name'])}"
        self.log.sent(msg, "network", target)
        async with self.session.post(url, json=msg) as r:
            if r.status not in (200, 422):
                r.raise_for_status()
            reply = await r.json()
        if not wait:
            return None
        self.log.received(reply, p.now())
        return reply


class Broker:
    """Commands to ``<service>.commands``; replies from ``orchestrator.replies``."""

    def __init__(self, redis, log: p.TraceLog):
        self.redis, self.log = redis, log
        self.waiting: dict[str, asyncio.Future] = {}

    async def send(self, target: str, msg: dict, wait: bool) -> dict | None:
        if wait:
            reply = self.waiting[msg["id"]] = asyncio.get_running_loop().create_future()
        await self.redis.xadd(f"{target}.commands", msg)
        self.log.sent(msg, "broker", target)
        return await reply if wait else None

    def on_reply(self, msg: dict, received: float) -> None:
        waiting = self.waiting.pop(msg.get("reply_to"), None)
        if waiting is not None:  # else: a reply for a saga this process never knew
            self.log.received(msg, received)
            waiting.set_result(msg)


async def main() -> None:
    cfg, _, peers = p.load_config()
    log = p.TraceLog(f"{cfg['dir']}/{NAME}.log", NAME)
    tasks, sagas = [], set()
    if cfg["transport"] == "sync":
        transport = Http(peers, log)
    else:
        redis = await p.connect_redis(cfg)
        await redis.ping()
        transport = Broker(redis, log)
    ini = cfg["initiator"]
    order = Participant(ini["name"], ini, log, transport.send)
    orchestrator = SagaOrchestrator(
        order, [Participant(s["name"], s, log, transport.send) for s in cfg["steps"]], log)

    def start(msg: dict, received: float) -> None:
        log.received(msg, received)
        task = asyncio.create_task(orchestrator.execute_order_saga(int(msg["saga"])))
        sagas.add(task)  # held in memory only: this set is the saga state a crash loses
        task.add_done_callback(sagas.discard)

    port = None
    if cfg["transport"] == "sync":
        async def start_saga(request):
            received = p.now()
            start(await request.json(), received)
            return p.http_reply({"kind": "reply"})

        port = await p.serve_http({f"/{p.kebab(ini['start'])}": start_saga},
                                  peers.get(NAME, 0))
    else:
        async def handle(stream: str, msg: dict, received: float) -> None:
            if stream == "orchestrator.replies":
                transport.on_reply(msg, received)
            elif msg["name"] == ini["start"]:
                start(msg, received)  # acknowledged at once: from now on it lives in memory

        consumer = p.StreamConsumer(redis, NAME, ["orchestrator.commands", "orchestrator.replies"],
                                    handle, log, prefetch=p.BATCH)
        tasks.append(asyncio.create_task(consumer.run()))
    p.announce_ready(port)
    await p.main_until_parent_gone(*tasks)


if __name__ == "__main__":
    asyncio.run(main())
