"""The same saga on DBOS Transact: durable workflows whose log survives a crash.

The workflow below is the seed's ``executeOrderSaga`` again, but each call to a
service is a DBOS *step*: its reply is checkpointed in DBOS's system database
(SQLite in the run's temporary directory) before the workflow moves on. Kill
this process with ``kill -9`` and start it again: ``DBOS.launch()`` finds the
workflows that were in flight and resumes each one from its last completed step.
Completed steps are not run again; the step that was in progress may be, which
is why the services deduplicate commands by ``<order id>:<command>``.

A service that cannot be reached is a technical failure, not a business one:
DBOS retries the step (``retries_allowed``) instead of compensating.

Started by :func:`sagalab.live.run` as
``python dbos_orchestrator.py --config run.json --name orchestrator --peers '{...}'``.
"""
from __future__ import annotations

import asyncio
import sqlite3

import aiohttp
from dbos import DBOS, SetWorkflowID

import plumbing as p

NAME = "orchestrator"
RETRY_INTERVAL = 0.05  # seconds before DBOS retries a step whose service did not answer
RETRY_ATTEMPTS = 200

CFG: dict = {}  # the run's configuration, read before DBOS.launch()
LOG: p.TraceLog | None = None
SESSIONS: dict = {}  # one HTTP client per event loop (DBOS may resume a workflow on its own)


async def post(target: str, msg: dict) -> dict:
    loop = asyncio.get_running_loop()
    if loop not in SESSIONS:
        SESSIONS[loop] = aiohttp.ClientSession()
    url = f"http://127.0.0.1:{CFG['peers'][target]}/{p.kebab(msg['name'])}"
    LOG.sent(msg, "network", target)
    async with SESSIONS[loop].post(url, json=msg) as r:
        if r.status not in (200, 422):
            r.raise_for_status()
        return await r.json()


@DBOS.step(retries_allowed=True, interval_seconds=RETRY_INTERVAL, max_attempts=RETRY_ATTEMPTS,
           backoff_rate=1.0)
async def call_service(service: str, command: str, kind: str, order_id: int) -> dict:
    """One command and its reply: a step, so the reply is checkpointed."""
    msg = p.message(command, kind, order_id, NAME, p.now(), key=f"{order_id}:{command}")
    reply = await post(service, msg)
    if service != CFG["initiator"]["name"]:  # the order's answer is not a saga message
        LOG.received(reply, p.now())
    return reply


@DBOS.step()
async def dead_letter(order_id: int, name: str) -> None:
    """A compensation that failed for good: to the dead-letter queue, for manual review."""
    LOG.sent(p.message(name, "dlq", order_id, NAME, p.now()), "local", "dlq")


@DBOS.workflow()
async def order_saga(order_id: int) -> str:
    steps, order = CFG["steps"], CFG["initiator"]
    completed = []
    for step in steps:
        reply = await call_service(step["name"], step["command"], "command", order_id)
        if reply["kind"] == "failure":
            break
        completed.append(step)
    else:
        await call_service(order["name"], order["complete"], "command", order_id)
        return "completed"
    for step in reversed(completed):  # compensate in reverse order
        reply = await call_service(step["name"], step["compensation_command"], "compensation",
                                   order_id)
        if reply["kind"] == "failure":
            await dead_letter(order_id, step["compensation_failed"])
    await call_service(order["name"], order["cancel"], "command", order_id)
    return "cancelled"


async def main() -> None:
    global LOG
    cfg, _, peers = p.load_config()
    CFG.update(cfg, peers=peers)
    LOG = p.TraceLog(f"{cfg['dir']}/{NAME}.log", NAME)
    path = f"{cfg['dir']}/dbos.sqlite"
    with sqlite3.connect(path) as db:  # write-ahead log (persistent): one fsync per commit
        db.execute("PRAGMA journal_mode=WAL")
    DBOS(config={"name": "sagalab_live", "log_level": "WARNING",
                 "application_version": "sagalab-live",
                 "system_database_url": f"sqlite:///{path}"})
    DBOS.launch()  # after a crash: resumes every workflow that was in flight

    async def start_saga(request):
        received = p.now()
        msg = await request.json()
        LOG.received(msg, received)
        with SetWorkflowID(f"saga-{msg['saga']}"):  # starting it twice starts it once
            await DBOS.start_workflow_async(order_saga, int(msg["saga"]))
        return p.http_reply({"kind": "reply"})

    port = await p.serve_http({f"/{p.kebab(cfg['initiator']['start'])}": start_saga},
                              peers.get(NAME, 0))
    p.announce_ready(port)
    await p.main_until_parent_gone()


if __name__ == "__main__":
    asyncio.run(main())
