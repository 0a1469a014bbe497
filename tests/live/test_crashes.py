"""Crashes for real (kill -9), each beside the simulator's prediction of the same outage.

Each crash lands in the middle of one saga's payment work, with nothing else
in flight 0.1 s either side (``sl.live.quiet_moment``): reality and the
model then agree on which saga the crash hits.
"""
from __future__ import annotations

import os

from sagalab.live.cluster import listening

from .conftest import CRASH_RUN, crashed


def _outcomes(r) -> list[str]:
    return r.sagas["outcome"].astype(str).tolist()


def _in_flight_at(r, t: float) -> set[int]:
    """Sagas the orchestrator had received and that had not ended at time ``t``."""
    ev = r.events
    got = ev[(ev["target"] == "orchestrator") & (ev["name"] == "StartSaga")
             & (ev["delivered"] < t)]["saga_id"]
    s = r.sagas.set_index("saga_id")
    return {int(k) for k in got if not s.loc[k, "end"] < t}


def _effects_once(r) -> None:
    counts = r.params["live"]["effects"].groupby(["service", "saga_id", "action"]).size()
    assert counts.max() == 1, counts[counts > 1]


def test_killing_the_seeds_orchestrator_leaves_the_sagas_in_flight_stuck():
    r, s, sid, t = crashed("seed")
    killed = r.params["live"]["crashes"]["killed"].iloc[0]
    stuck = set(r.sagas.loc[r.sagas["outcome"] == "stuck", "saga_id"])
    assert stuck == _in_flight_at(r, killed) == {sid}
    assert _outcomes(r) == _outcomes(s)  # the simulator predicted the same, saga by saga
    assert r.sagas.loc[sid, "steps_completed"] >= 0  # some effects may stay applied
    _effects_once(r)


def test_dbos_killed_and_restarted_ends_every_saga():
    r, s, sid, t = crashed("dbos")
    assert (r.sagas["outcome"] != "stuck").all()
    assert _outcomes(r) == _outcomes(s)
    crash = r.params["live"]["crashes"].iloc[0]
    assert sid in _in_flight_at(r, crash["killed"])  # DBOS resumed a saga that was in flight
    assert r.sagas.loc[sid, "end"] > crash["restarted"]
    _effects_once(r)


def test_a_consumer_killed_and_restarted_gets_its_pending_entries_again():
    r, s, sid, t = crashed("consumer")
    assert (r.sagas["outcome"] != "stuck").all()
    assert _outcomes(r) == _outcomes(s)
    crash = r.params["live"]["crashes"].iloc[0]
    assert crash["busy"] == [sid]  # the crash landed in that saga's payment work
    d = r.params["live"]["deliveries"]
    again = d[d["duplicate"]]
    assert sid in set(again["saga_id"]) and (again["time"] > crash["restarted"]).all()
    assert r.params["live"]["absorbed"] >= 1
    _effects_once(r)  # the processed-messages table absorbed the duplicate
    assert r.sagas["duplicates"].sum() == 0 == s.sagas["duplicates"].sum()


def test_without_the_processed_messages_table_the_redelivery_applies_twice():
    r, s, sid, t = crashed("not_idempotent")
    counts = r.params["live"]["effects"].groupby(["service", "saga_id", "action"]).size()
    assert counts.loc[("payment", sid, "ProcessPayment")] == 2
    assert s.sagas.loc[sid, "duplicates"] == 1
    # Reality goes further than the model: the second charge publishes a second
    # PaymentCompleted, a new message (new id) that inventory and shipping, which
    # deduplicate by message id, process again. The simulator does not follow it.
    assert counts.loc[("inventory", sid, "ReserveInventory")] == 2
    assert counts.loc[("shipping", sid, "ScheduleShipping")] == 2
    assert r.sagas.loc[sid, "duplicates"] == 3


def test_a_dual_write_loses_the_event_and_the_saga_is_stuck():
    r, s, sid, t = crashed("dual_write")
    stuck = set(r.sagas.loc[r.sagas["outcome"] == "stuck", "saga_id"])
    assert stuck == {sid} == set(s.sagas.loc[s.sagas["outcome"] == "stuck", "saga_id"])
    assert r.params["live"]["crashes"]["busy"].iloc[0] == [sid]
    assert r.sagas.loc[sid, "steps_completed"] == 1  # charged, and nobody will ever know
    assert _outcomes(r) == _outcomes(s)


def test_no_process_and_no_port_survives_a_crash_run():
    for case in ("seed", "dbos", "consumer", "dual_write"):
        live = crashed(case)[0].params["live"]
        assert len(live["pids"]) > len(live["crashes"]) + 3  # restarts included
        assert listening(live["ports"]) == []
        for pid in live["pids"]:
            assert not os.path.exists(f"/proc/{pid}") or "sagalab" not in open(
                f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"), pid
        assert len(crashed(case)[0].sagas) == CRASH_RUN["n_sagas"]
