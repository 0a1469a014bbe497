"""Business state specs, per-saga draws, the operation log and its tables."""
import pytest

import sagalab as sl
from sagalab.model.state import check_states
from sagalab.sim.draws import seed_sequence
from sagalab.sim.ledger import OP_FIELDS, StateDraws

SAGA = sl.scenarios.ecommerce()


@pytest.mark.parametrize("make, match", [
    (lambda: sl.Stock("inventory", products=0), "products must be an integer >= 1"),
    (lambda: sl.Stock("inventory", initial=-1), "initial must be an integer >= 0"),
    (lambda: sl.Stock("inventory", quantity=(3, 1)), "low <= high"),
    (lambda: sl.Stock("inventory", quantity=1.5), "quantity must be an int or a"),
    (lambda: sl.Stock("inventory", countermeasure="magic"), "countermeasure must be one of"),
    (lambda: sl.Stock("inventory", restock=-1), "restock must be an integer >= 0"),
    (lambda: sl.Stock("inventory", restock_every=0), r"restock_every must be a time in \[0.01, "),
    (lambda: sl.Credit("payment", customers=True), "customers must be an integer"),
    (lambda: sl.Credit("payment", amount=(0, 5)), "amount low must be an integer >= 1"),
    (lambda: sl.Stock("dlq"), "reserved"),
])
def test_bad_specs_name_the_field(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_check_states():
    assert check_states(None, SAGA) == ()
    s = sl.Stock("inventory")
    assert check_states(s, SAGA) == (s,)
    with pytest.raises(ValueError, match="not in this saga"):
        check_states([sl.Stock("warehouse")], SAGA)
    with pytest.raises(ValueError, match="two states are kept by step 'inventory'"):
        check_states([s, sl.Credit("inventory")], SAGA)
    with pytest.raises(TypeError, match=r"state\[0\] must be a Stock or a Credit"):
        check_states([1], SAGA)
    retriable = SAGA.with_step("shipping", kind="retriable", failure_p=0.1)
    with pytest.raises(ValueError, match=r"Stock\(step='shipping'\) with Step\('shipping', "
                                         r"kind='retriable'\)"):
        sl.simulate(retriable, "orchestration", arrival_rate=5, n_sagas=5,
                    state=[sl.Stock("shipping")])


def test_specs_are_values():
    s = sl.Stock("inventory", quantity=2)
    assert s.quantity == (2, 2) and s == sl.Stock("inventory", quantity=(2, 2))
    assert s.with_countermeasure("reread").countermeasure == "reread"
    assert not s.promises and s.with_countermeasure("reread").promises
    assert sl.Credit("payment").refill == (0, 1.0)


def test_draws_keyed_by_step_name_not_position():
    s = sl.Stock("inventory", products=5, quantity=(1, 4))
    a = StateDraws(SAGA, [s], seed_sequence(7)).block(50)
    b = StateDraws(sl.pessimistic_view(SAGA, "inventory"), [s], seed_sequence(7)).block(50)
    assert [row[1] for row in a] == [row[2] for row in b]
    assert all(0 <= k < 5 and 1 <= q <= 4 for k, q in (row[1] for row in a))
    assert {k for k, _ in (row[1] for row in a)} == set(range(5))
    c = StateDraws(SAGA, [s], seed_sequence(8)).block(50)
    assert [row[1] for row in a] != [row[1] for row in c]


def test_same_seed_same_state_log():
    state = [sl.Stock("inventory", products=2, initial=10, restock=3, restock_every=0.5),
             sl.Credit("payment", customers=4, limit=200)]
    kw = dict(arrival_rate=30, n_sagas=300, state=state)
    a = sl.simulate(SAGA, "choreography", seed=5, **kw)
    b = sl.simulate(SAGA, "choreography", seed=5, **kw)
    assert a.state.equals(b.state) and a.sagas.equals(b.sagas)
    assert list(a.state.columns) == list(OP_FIELDS)
    assert set(a.state.op.astype(str)) == {"reserve", "release", "restock"}
    assert a.state.time.is_monotonic_increasing
    assert a.params["duration"] == pytest.approx(a.sagas.end.max())  # deliveries stop with it
    s = a.summary()
    assert {"lost_updates", "dirty_reads", "nonrepeatable_reads", "oversold"} <= set(s.index)


def test_tables_need_state():
    r = sl.simulate(SAGA, "orchestration", arrival_rate=5, n_sagas=10)
    with pytest.raises(ValueError, match="no business state"):
        r.anomalies()
    with pytest.raises(ValueError, match="no business state"):
        r.invariants()


def test_rule_failures_alongside_failure_p():
    saga = SAGA.with_failure_p(inventory=0.5)
    r = sl.simulate(saga, "orchestration", arrival_rate=20, n_sagas=400, seed=2,
                    state=[sl.Stock("inventory", products=1, initial=30)])
    res = r.state[r.state.op == "reserve"]
    drawn = ~res.ok & ~res.rule_failed & ~res.locked_out
    assert drawn.sum() > 50 and res.rule_failed.sum() > 50  # both kinds of failure happen
    failed_at_inv = (r.sagas.failed_step == "inventory").sum()
    assert failed_at_inv == (~res.ok).sum()
