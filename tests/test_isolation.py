"""Countermeasures: each removes its anomaly on a contended workload, at a measured cost."""
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl
from sagalab.model.state import PROMISES
from sagalab.sim.ledger import Ledger

# A contended flash sale: few products, stock near zero (deliveries a bit below demand),
# many parcels undeliverable (so reservations get compensated while others read them).
SAGA = sl.scenarios.ecommerce(shipping_failure_p=0.3)
RUN = dict(arrival_rate=40, n_sagas=800)
SEEDS = (0, 1)


def stock(cm=None, **kw):
    args = dict(products=3, initial=20, quantity=(1, 3), restock=6, restock_every=0.5)
    return sl.Stock("inventory", countermeasure=cm, **{**args, **kw})


def run(cm=None, saga=SAGA, pattern="orchestration", seed=0, **kw):
    return sl.simulate(saga, pattern, seed=seed, state=[stock(cm, **kw)], **RUN)


def totals(cm=None, saga=SAGA, pattern="orchestration"):
    rs = [run(cm, saga, pattern, seed) for seed in SEEDS]
    tables = [r.anomalies().loc["inventory"] for r in rs]
    keys = ("lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold", "drift",
            "locked_out", "retries", "lock_waits")
    out = {k: sum(abs(t[k]) for t in tables) for k in keys}
    out["latency"] = sum(r.summary()["latency_mean"] for r in rs) / len(rs)
    out["completed"] = sum(r.summary()["completed"] for r in rs)
    out["invariants"] = [r.invariants() for r in rs]
    return out


@pytest.fixture(scope="module")
def naive():
    return totals(None)


def test_naive_service_shows_every_anomaly(naive):
    for k in ("lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold", "drift"):
        assert naive[k] > 0, k
    inv = naive["invariants"][0]
    assert not inv["holds"].loc[("inventory", "records_match_truth")]
    assert not inv["promised"].any()


# countermeasure -> anomalies it must bring to zero on the contended workload
REMOVES = {
    "semantic_lock": ("lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold", "drift"),
    "semantic_lock_fail": ("lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold",
                           "drift"),
    "commutative": ("lost_updates", "nonrepeatable_reads", "oversold", "drift"),
    "reread": ("lost_updates", "nonrepeatable_reads", "oversold", "drift"),
    "reread_fail": ("lost_updates", "nonrepeatable_reads", "oversold", "drift"),
    "version_file": ("lost_updates", "nonrepeatable_reads", "oversold", "drift"),
}


@pytest.mark.parametrize("cm", sorted(REMOVES))
def test_countermeasure_removes_its_anomalies(cm, naive):
    got = totals(cm)
    for k in REMOVES[cm]:
        assert naive[k] > 0 and got[k] == 0, (cm, k, naive[k], got[k])
    for inv in got["invariants"]:
        promised = inv[inv["promised"]]
        assert len(promised) == 3 and promised["holds"].all(), inv
    if cm == "semantic_lock":  # waiting is queueing: it shows up in latency
        assert got["lock_waits"] > 0 and got["latency"] > 1.3 * naive["latency"]
    if cm == "semantic_lock_fail":  # refusals instead of waiting: fewer sales
        assert got["locked_out"] > 0 and got["completed"] < naive["completed"]
    if cm == "reread":  # changed under it: read again and redo the work
        assert got["retries"] > 0
    if cm == "reread_fail":
        assert got["locked_out"] > 0


def test_commutative_updates_do_not_remove_dirty_reads(naive):
    assert totals("commutative")["dirty_reads"] > 0  # documented: it fixes lost updates only


def test_pessimistic_view_removes_dirty_reads_only(naive):
    saga = sl.pessimistic_view(SAGA, "inventory")
    assert saga.step_names == ("payment", "shipping", "inventory")
    got = totals(None, saga)
    assert naive["dirty_reads"] > 0 and got["dirty_reads"] == 0
    assert got["lost_updates"] > 0  # stale read-modify-writes (2 workers) still overwrite
    r = run(None, saga)
    assert not (r.state["op"] == "release").any()  # never compensated: nothing after it fails


def test_pessimistic_view_validates():
    with pytest.raises(ValueError, match=r"steps\[0\] must name a step.*got 'nope'"):
        sl.pessimistic_view(SAGA, "nope")
    with pytest.raises(ValueError, match="at least one step"):
        sl.pessimistic_view(SAGA)
    with pytest.raises(ValueError, match="distinct"):
        sl.pessimistic_view(SAGA, "inventory", "inventory")


def test_choreography_sees_the_same_anomalies_of_the_same_orders():
    a, b = run(None, pattern="choreography"), run(None, pattern="orchestration")
    assert a.anomalies().loc["inventory", "lost_updates"] > 0
    ra = a.state[a.state.op == "reserve"].set_index("saga_id")[["key", "amount"]]
    rb = b.state[b.state.op == "reserve"].set_index("saga_id")[["key", "amount"]]
    common = ra.index.intersection(rb.index)
    assert len(common) > 0.9 * len(ra)
    assert ra.loc[common].equals(rb.loc[common])  # common random numbers: same orders


def tiny(cm):
    """Three sagas, one product, one customer who can pay once: an exact lost update."""
    saga = sl.Saga("tiny", [sl.Step("inventory", 1.0), sl.Step("payment", 1.0)])
    state = [sl.Stock("inventory", products=1, initial=10, quantity=2, countermeasure=cm),
             sl.Credit("payment", customers=1, limit=10, amount=10, countermeasure=cm)]
    return sl.simulate(saga, "orchestration", arrival_rate=100, n_sagas=3, seed=0,
                       network=sl.Network(hop=0), orchestrator=sl.Orchestrator(overhead=0),
                       state=state)


def test_exact_trace_of_a_lost_update():
    # inventory serves 0, 1, 2 back to back; 0 pays, 1 and 2 are refused (credit used up);
    # 1's release runs after 2's reserve and restores 1's before-image: 2's take is lost.
    r = tiny(None)
    assert list(r.sagas.outcome) == ["completed", "compensated", "compensated"]
    inv = r.state[r.state.state == "inventory"]
    assert list(zip(inv.saga_id, inv.op.astype(str), inv.after)) == [
        (0, "reserve", 8.0), (1, "reserve", 6.0), (2, "reserve", 4.0),
        (1, "release", 8.0), (2, "release", 6.0)]
    assert list(inv.truth) == [8.0, 6.0, 4.0, 6.0, 8.0]
    assert list(inv.lost) == [False, False, False, True, True]
    a = r.anomalies().loc["inventory"]
    assert a.lost_updates == 2 and a.drift == -2
    pay = r.state[r.state.state == "payment"]
    assert list(pay.rule_failed) == [False, True, True]  # over the limit: a business rule
    c = tiny("commutative").state.query("state == 'inventory'")
    assert list(c.after) == list(c.truth) == [8.0, 6.0, 4.0, 6.0, 8.0]


def test_credit_money_invariant():
    saga = sl.scenarios.ecommerce(shipping_failure_p=0.3)
    for cm, holds in ((None, False), ("commutative", True)):
        credit = sl.Credit("payment", customers=3, limit=100_000, amount=(10, 90),
                           countermeasure=cm)
        r = sl.simulate(saga, "choreography", arrival_rate=60, n_sagas=600, seed=3,
                        state=[credit])
        assert not r.sagas.outcome.isin(["dlq", "stuck"]).any()
        assert bool(r.invariants().loc[("payment", "conserved"), "holds"]) is holds
        ops = r.state
        charged = ops[(ops.op == "reserve") & ops.ok].amount.sum()
        refunded = ops[(ops.op == "release") & ops.ok].amount.sum()
        done = set(r.sagas.saga_id[r.sagas.outcome == "completed"])
        value = ops[(ops.op == "reserve") & ops.ok & ops.saga_id.isin(done)].amount.sum()
        assert charged - refunded == value  # the operations always add up; the records not


def test_dlq_skips_the_conservation_check():
    saga = SAGA.with_step("inventory", compensation_failure_p=0.5)
    r = sl.simulate(saga, "orchestration", arrival_rate=40, n_sagas=300, seed=0,
                    state=[stock("commutative")])
    assert (r.sagas.outcome == "dlq").any()
    inv = r.invariants()
    assert pd.isna(inv.loc[("inventory", "conserved"), "holds"])
    assert inv.loc[("inventory", "never_below_zero"), "holds"]


def test_plain_runs_pay_nothing_for_business_state(monkeypatch):
    made = []
    monkeypatch.setattr(Ledger, "__init__", lambda *a, **k: made.append(1))
    r = sl.simulate(SAGA, "orchestration", arrival_rate=10, n_sagas=50)
    assert not made and r.state is None and "lost_updates" not in r.summary()


@given(cm=st.sampled_from(sorted(PROMISES)), products=st.integers(1, 4),
       initial=st.integers(0, 8), hi=st.integers(1, 4), restock=st.integers(0, 4),
       rate=st.floats(5, 80), pattern=st.sampled_from(sl.PATTERNS), seed=st.integers(0, 99),
       fail=st.floats(0, 0.5))
def test_promises_hold_for_random_workloads(cm, products, initial, hi, restock, rate, pattern,
                                            seed, fail):
    s = sl.Stock("inventory", products=products, initial=initial, quantity=(1, hi),
                 restock=restock, restock_every=0.3, countermeasure=cm)
    c = sl.Credit("payment", customers=products, limit=initial * 20, amount=(5, 40),
                  countermeasure=cm)
    saga = sl.scenarios.ecommerce(shipping_failure_p=fail)
    r = sl.simulate(saga, pattern, arrival_rate=rate, n_sagas=40, seed=seed, state=[s, c])
    assert sorted(r.sagas.saga_id) == list(range(40)) and (r.sagas.outcome != "stuck").all()
    inv = r.invariants()
    assert inv["holds"].dropna().all(), inv
    a = r.anomalies()
    assert (a[["lost_updates", "nonrepeatable_reads", "oversold", "drift"]] == 0).all().all()
    if cm.startswith("semantic_lock"):
        assert (a["dirty_reads"] == 0).all()
    ops = r.state
    res = ops[ops.op == "reserve"]
    assert not res.duplicated(["state", "saga_id"]).any()  # one reservation per saga and state
    rel = ops[ops.op == "release"]
    took = set(zip(res.state[res.ok], res.saga_id[res.ok]))
    assert set(zip(rel.state, rel.saga_id)) <= took  # only what was taken is given back
    assert (ops.truth >= 0).all()
