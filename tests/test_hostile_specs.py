"""Hostile input to every spec constructor: one ValueError or TypeError naming the field.

Table-driven: every row is (a call, the exception type, words its message must
hold). Junk values come in families (numbers, counts, flags, names, message
names, distributions) and are fed to every field of the family's kind.
"""
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import sagalab as sl
from sagalab.model import _validate as v
from sagalab.model.specs import MAX_EXPECTED_ATTEMPTS

NAN, INF = float("nan"), float("inf")


class _Broken(sl.Distribution):
    mean = 1.0
    draw = staticmethod(lambda rng, size: np.ones(size))

    def sample(self, rng, size):
        return self.draw(rng, size)


def broken(draw, mean=1.0):
    """A user distribution whose ``sample`` is ``draw``."""
    return type("Mine", (_Broken,), {"draw": staticmethod(draw), "mean": mean})()


def _raise(rng, size):
    raise RuntimeError("backend down")


BAD_DISTRIBUTIONS = [
    broken(lambda rng, size: -np.ones(size)),
    broken(lambda rng, size: np.full(size, NAN)),
    broken(lambda rng, size: np.full(size, INF)),
    broken(lambda rng, size: np.full(size, 1e300)),
    broken(lambda rng, size: np.ones(size + 1)),
    broken(lambda rng, size: np.ones((size, 2))),
    broken(lambda rng, size: 1.0),
    broken(lambda rng, size: ["a"] * size),
    broken(lambda rng, size: np.ones(size, dtype=complex)),
    broken(lambda rng, size: [Fraction(1)] * size),
    broken(_raise),
    broken(lambda rng, size: np.ones(size), mean=NAN),
    broken(lambda rng, size: np.ones(size), mean=-1.0),
    broken(lambda rng, size: np.ones(size), mean="1"),
    broken(lambda rng, size: np.ones(size), mean=None),
]

# -- junk by kind: every value is invalid wherever a field of that kind is asked for --------
_NUMBER_JUNK = [NAN, INF, -INF, 1e308, 10**400, True, False, "1", b"1", [1], {}, (1,), 1j,
                object(), np.float64(NAN), np.bool_(True), np.array([1.0]), Decimal("1")]
TIME = _NUMBER_JUNK + [-1, -1e-300, 2e9, v.MAX_VALUE * 1.0001] + BAD_DISTRIBUTIONS
POSITIVE_TIME = TIME + [0, 0.0, -0.0, np.float64(0)]
PROBABILITY = [x for x in _NUMBER_JUNK if x is not False] + [-0.1, 1.5, 1 + 1e-12, None,
                                                              np.int64(2)]
COUNT = [0, -1, 1.5, 2.0, True, "2", None, 10**400, NAN, INF, [2], np.float64(2),
         np.bool_(True), Decimal(2), Fraction(2)]
COUNT0 = [-1, -(10**30), 1.5, True, False, "0", None, NAN, [0], np.float64(0), np.bool_(False)]
FLAG = [1, 0, 1.0, "True", "yes", None, [], np.int64(1)]
NAME = ["", " ", "a b", "a.b", "a\nb", "a\x00", "é", "\u0663", "x" * 101, "orchestrator",
        "broker", "dlq", "network", 5, None, b"abc", ["a"], ("a",), True]
MESSAGE = ["", " ", "A\nB", "A\rB", "A\tB", "A\x00B", "A\x1bB", " Lead", "Trail ",
           "\u200b", "A\u2028B", "x" * 101, 5, b"X", ["X"], True]
TEXT = [m for m in MESSAGE] + [None]


def _rows(make, field, junk, owner=None):
    return [pytest.param(make, field, x, owner, id=f"{make.__name__}.{field}={x!r:.30}")
            for x in junk]


def step(**kw):
    return sl.Step(**{"name": "pay", "service_time": 0.01, **kw})


def saga(**kw):
    return sl.Saga(**{"name": "s", "steps": [sl.Step("pay", 0.01)], **kw})


def network(**kw):
    return sl.Network(**kw)


def broker(**kw):
    return sl.Broker(**kw)


def orchestrator(**kw):
    return sl.Orchestrator(**kw)


def outage(**kw):
    return sl.Outage(**{"target": "pay", "start": 1.0, "duration": 1.0, **kw})


def stock(**kw):
    return sl.Stock(**{"step": "pay", **kw})


def credit(**kw):
    return sl.Credit(**{"step": "pay", **kw})


def constant(**kw):
    return sl.Constant(**kw)


def exponential(**kw):
    return sl.Exponential(**{"mean": 1.0, **kw})


def lognormal(**kw):
    return sl.LogNormal(**{"mean": 1.0, **kw})


def choice(**kw):
    return sl.Choice(**{"values": ("a", "b"), **kw})


def condition(**kw):
    return sl.Condition(**{"field": "amount", "op": ">", "value": 1, **kw})


FIELDS = (
    _rows(constant, "value", [x for x in TIME if not isinstance(x, sl.Distribution)])
    + _rows(exponential, "mean", [x for x in POSITIVE_TIME if not isinstance(x, sl.Distribution)])
    + _rows(lognormal, "mean", [x for x in POSITIVE_TIME if not isinstance(x, sl.Distribution)])
    + _rows(lognormal, "sigma", [x for x in _NUMBER_JUNK if x is not False] + [-1, 5.01])
    + _rows(step, "name", NAME)
    + _rows(step, "service_time", TIME + [None])
    + _rows(step, "compensation_time", TIME)
    + _rows(step, "failure_p", PROBABILITY)
    + _rows(step, "compensation_failure_p", PROBABILITY)
    + _rows(step, "capacity", COUNT + [v.MAX_WORKERS + 1])
    + _rows(step, "compensation_retries", COUNT0 + [v.MAX_RETRIES + 1, 10**9])
    + _rows(step, "idempotent", FLAG)
    + _rows(step, "outbox", FLAG)
    + [row for f in ("success_event", "failure_event", "compensation_event", "command",
                     "compensation_command", "skip_event") for row in _rows(step, f, MESSAGE)]
    + _rows(step, "kind", ["", "Pivot", "optional", None, 1, ["pivot"]])
    + _rows(step, "when", ["amount > 1", 1, True, {"field": "amount"}, ["a"]])
    + _rows(step, "stage", NAME[:13] + [5, b"s"])
    + _rows(step, "parallel", NAME[:13] + [5, b"s"])
    + _rows(saga, "name", TEXT)
    + _rows(saga, "steps", [[], (), "pay", b"pay", 5, None, [1], [None], ["pay"],
                            {"pay": 1}, [sl.Step("pay", 1)] * 2,
                            [sl.Step(f"s{i}", 1) for i in range(v.MAX_STEPS + 1)]])
    + _rows(saga, "initiator", NAME + ["pay"])
    + _rows(saga, "initiator_time", TIME)
    + _rows(saga, "initiator_capacity", COUNT + [v.MAX_WORKERS + 1])
    + _rows(saga, "attributes", [5, "amount", [("amount",)], [("amount", 1, 2)],
                                 [["amount", 1.0]], {"amount": "big"}, {"amount": None},
                                 {"a.b": 1.0}, {"latency": 1.0}, {"": 1.0}, {5: 1.0},
                                 [("amount", 1.0), ("amount", 2.0)],
                                 {f"a{i}": 1.0 for i in range(v.MAX_ATTRIBUTES + 1)}]
            + [{"amount": d} for d in BAD_DISTRIBUTIONS[1:12] + BAD_DISTRIBUTIONS[13:]])
    + _rows(network, "hop", TIME)
    + _rows(network, "timeout", [x for x in POSITIVE_TIME if not isinstance(x, sl.Distribution)])
    + _rows(network, "retries", COUNT0 + [v.MAX_RETRIES + 1])
    + _rows(network, "backoff", TIME)
    + _rows(broker, "latency", TIME)
    + _rows(broker, "redelivery_p", PROBABILITY)
    + _rows(broker, "partitions", [x for x in COUNT if x is not None]
            + [v.MAX_PARTITIONS + 1, 10**9])
    + _rows(orchestrator, "capacity", COUNT + [v.MAX_WORKERS + 1])
    + _rows(orchestrator, "overhead", TIME)
    + _rows(orchestrator, "durable_log", FLAG)
    + _rows(orchestrator, "log_latency", TIME)
    + _rows(outage, "target", TEXT)
    + _rows(outage, "start", [x for x in TIME if not isinstance(x, sl.Distribution)])
    + _rows(outage, "duration", [x for x in POSITIVE_TIME
                                 if not isinstance(x, sl.Distribution)])
    + _rows(stock, "step", NAME)
    + _rows(stock, "products", COUNT + [10**12, 100_001])
    + _rows(stock, "initial", COUNT0 + [10**13])
    + _rows(stock, "quantity", [0, -1, 1.5, "2", None, (3, 1), (0, 2), (1,), (1, 2, 3), [1, 2],
                                (1, 10**13), (True, 2), 10**13])
    + _rows(stock, "countermeasure", ["", "lock", 1, True, ["commutative"], np.array([1])])
    + _rows(stock, "restock", COUNT0 + [10**13])
    + _rows(stock, "restock_every", [0, 1e-300, 0.001, -1, NAN, INF, "1", None, True, 2e9])
    + [pytest.param(lambda restock_every: sl.Stock("pay", products=1000, restock=1,
                                                   restock_every=restock_every),
                    "restock_every", 0.5, None, id="stock.restock_every=deliveries")]
    + _rows(credit, "step", NAME)
    + _rows(credit, "customers", COUNT + [10**12])
    + _rows(credit, "limit", COUNT0 + [10**13])
    + _rows(credit, "amount", [0, -1, 2.5, None, (5, 1), (1, 10**13)])
    + _rows(choice, "values", [[], "ab", b"ab", 5, None, [NAN], [INF], [True], [None], [[1]],
                               ["a", "a"], ["a", 1], [1j], iter(range(10**9))])
    + _rows(choice, "weights", [[1], [1, 2, 3], [0, 1], [-1, 1], [NAN, 1], [INF, 1],
                                ["1", "1"], [True, 1], 5, "ab", [1e300, 1e300]])
    + _rows(condition, "field", NAME[:13] + [5, None])
    + _rows(condition, "op", ["=", "~", "", None, 1, [">"], "IN"])
    + _rows(condition, "value", [NAN, INF, None, True, [1], {}, 1j, b"x", 10**400])
)


@pytest.mark.parametrize("make, field, junk, owner", FIELDS)
def test_junk_in_any_field_is_refused_naming_the_field(make, field, junk, owner):
    with pytest.raises((TypeError, ValueError)) as info:
        make(**{field: junk})
    message = str(info.value)
    assert field in message or (field == "values" and "Choice" in message), message
    assert "\n" not in message  # one line, whatever the junk held


def test_condition_in_needs_a_short_sequence():
    for junk in ("abc", 5, [], [NAN], [None], range(10**6)):
        with pytest.raises((TypeError, ValueError), match="value"):
            sl.Condition("tier", "in", junk)


def test_rules_nest_at_most_max_depth():
    c = sl.Condition("amount", ">", 1)
    for _ in range(sl.model.rules.MAX_DEPTH):
        c = c & sl.Condition("amount", "<", 5)
    with pytest.raises(ValueError, match="MAX_DEPTH"):
        c & sl.Condition("amount", "<", 5)
    for junk in ([c], [c, 1], "ab", 5, [sl.Condition("a", ">", 1)] * 10_001):
        with pytest.raises((TypeError, ValueError), match="terms"):
            sl.AllOf(junk)


@pytest.mark.parametrize("p", [0.9991, 1 - 1e-9, 1.0])
def test_a_retriable_step_with_exploding_attempts_is_refused(p):
    with pytest.raises(ValueError, match=r"failure_p.*1 / \(1 - failure_p\).*1000.*0\.999"):
        sl.Step("r", 1, kind="retriable", failure_p=p)
    assert sl.Step("r", 1, kind="retriable", failure_p=1 - 1 / MAX_EXPECTED_ATTEMPTS)


# -- names cannot collide ---------------------------------------------------------------
S = sl.Step
COLLISIONS = [
    ([S("a_b", 1), S("aB", 1)], "ABCompleted", "'a_b'", "'aB'"),
    ([S("a-b", 1), S("a_b", 1)], "ABCompleted", "'a-b'", "'a_b'"),
    ([S("a", 1, success_event="Done"), S("b", 1, success_event="Done")], "Done", "'a'", "'b'"),
    ([S("a", 1, success_event="X"), S("b", 1, failure_event="X")], "'X'", "success_event",
     "failure_event"),
    ([S("a", 1, success_event="X", failure_event="X")], "'X'", "success_event",
     "failure_event"),
    ([S("a", 1, command="PaymentCompleted"), S("payment", 1)], "PaymentCompleted", "'a'",
     "'payment'"),
    ([S("a", 1, success_event="OrderCreated")], "OrderCreated", "initiator", "'a'"),
    ([S("a", 1, compensation_command="CompleteOrder")], "CompleteOrder", "initiator", "'a'"),
    ([S("a", 1, failure_event="CancelOrder")], "CancelOrder", "initiator", "'a'"),
    ([S("a", 1, command="StartSaga")], "StartSaga", "initiator", "'a'"),
    ([S("a", 1), S("b", 1, success_event="ASkipped")], "ASkipped", "'a'", "'b'"),
    ([S("a", 1), S("b", 1, skip_event="ACompensationSkipped")], "ACompensationSkipped",
     "compensation_skipped", "'b'"),
    ([S("a", 1), S("b", 1, compensation_event="ACompensationFailed")], "ACompensationFailed",
     "compensation_failed", "'b'"),
    ([S("a", 1), S("b", 1, failure_event="AUnavailable")], "AUnavailable", "unavailable",
     "'b'"),
    ([S("a", 1, skip_event="BCompleted"), S("b", 1)], "BCompleted", "'a'", "'b'"),
    ([S("x", 1, command="ProcessY"), S("y", 1)], "ProcessY", "'x'", "'y'"),
    ([S("x", 1, compensation_event="XCompleted")], "XCompleted", "success_event",
     "compensation_event"),
]


@pytest.mark.parametrize("steps, name, first, second", COLLISIONS)
def test_message_names_cannot_collide(steps, name, first, second):
    with pytest.raises(ValueError, match="used twice") as info:
        sl.Saga("s", steps)
    message = str(info.value)
    assert name in message and first in message and second in message, message


def test_an_initiator_name_that_collides_is_refused():
    with pytest.raises(ValueError, match="'OrderCreated' is used twice"):
        sl.Saga("s", [S("a", 1, success_event="OrderCreated")], initiator="order")
    with pytest.raises(ValueError, match="'XCreated'"):
        sl.Saga("s", [S("a", 1, command="XCreated")], initiator="x")
    assert sl.Saga("s", [S("a", 1, success_event="OrderCreated")], initiator="shop")


def test_every_scenario_has_distinct_message_names():
    for make in (sl.scenarios.ecommerce, sl.scenarios.travel_booking,
                 sl.scenarios.loan_approval, sl.scenarios.user_onboarding):
        assert make().steps


# -- when: plain Python predicates are tried once at Saga(...) --------------------------------
def _no_bool(a):
    return "yes"


PREDICATES = [
    (lambda a: a["amount"] > 1, {}, ValueError, "KeyError"),
    (lambda a: a["amount"] > 1, {"tier": sl.Choice(("a", "b"))}, ValueError, "KeyError"),
    (lambda a: a["tier"] > 1, {"tier": sl.Choice(("a", "b"))}, ValueError, "TypeError"),
    (lambda: True, {}, ValueError, "TypeError"),
    (lambda a: 1 / 0, {}, ValueError, "ZeroDivisionError"),
    (_no_bool, {}, TypeError, "must return True or False"),
    (lambda a: None, {}, TypeError, "must return True or False"),
    (lambda a: np.array([True, False]), {}, TypeError, "must return True or False"),
    (lambda a: 1, {}, TypeError, "must return True or False"),
    (int, {}, ValueError, "TypeError"),
]


@pytest.mark.parametrize("when, attributes, exc, words", PREDICATES)
def test_a_predicate_that_fails_on_the_attributes_is_refused_at_saga(when, attributes, exc,
                                                                      words):
    with pytest.raises(exc, match="step 'a': when") as info:
        sl.Saga("s", [S("a", 1, when=when)], attributes=attributes)
    assert words in str(info.value)
    if not attributes:
        assert "it has none" in str(info.value)


def test_a_sound_predicate_is_accepted():
    saga = sl.Saga("s", [S("a", 1, when=lambda a: a["amount"] > 10)],
                   attributes={"amount": sl.Exponential(100.0)})
    assert saga.step("a").when({"amount": 50.0})


# -- scenarios name their own arguments ------------------------------------------------------
SCENARIO_ARGS = [
    (sl.scenarios.ecommerce, "payment_failure_p"), (sl.scenarios.ecommerce, "shipping_failure_p"),
    (sl.scenarios.ecommerce, "inventory_failure_p"),
    (sl.scenarios.travel_booking, "flight_failure_p"),
    (sl.scenarios.travel_booking, "hotel_failure_p"),
    (sl.scenarios.travel_booking, "car_failure_p"),
    (sl.scenarios.travel_booking, "payment_failure_p"),
    (sl.scenarios.loan_approval, "credit_failure_p"),
    (sl.scenarios.user_onboarding, "email_failure_p"),
    (sl.scenarios.user_onboarding, "profile_failure_p"),
    (sl.scenarios.chain, "failure_p"),
]


@pytest.mark.parametrize("make, field", SCENARIO_ARGS)
@pytest.mark.parametrize("junk", [NAN, -0.1, 1.5, "0.1", None, True])
def test_scenario_arguments_are_checked_by_name(make, field, junk):
    with pytest.raises((TypeError, ValueError), match=f"{make.__name__}: {field}"):
        make(**{field: junk})


@pytest.mark.parametrize("field, junk", [
    ("n_steps", 0), ("n_steps", 1.5), ("n_steps", True), ("n_steps", 10**6), ("n_steps", None),
    ("capacity", 0), ("capacity", "2"), ("service_time", -1), ("service_time", "fast"),
    ("parallel", 4), ("parallel", -1), ("parallel", 1.5)])
def test_chain_checks_its_arguments(field, junk):
    kw = {"n_steps": 3, field: junk}
    with pytest.raises((TypeError, ValueError), match=f"chain: {field}"):
        sl.scenarios.chain(**kw)


@pytest.mark.parametrize("junk", [NAN, INF, -1, "big", None, 1e308])
def test_loan_approval_checks_its_threshold(junk):
    with pytest.raises((TypeError, ValueError), match="loan_approval: threshold"):
        sl.scenarios.loan_approval(threshold=junk)


@pytest.mark.parametrize("args, words", [
    (("ecommerce", "payment"), "pessimistic_view: saga must be a Saga"),
    ((sl.scenarios.ecommerce(),), "name at least one step"),
    ((sl.scenarios.ecommerce(), "billing"), "steps[0] must name a step"),
    ((sl.scenarios.ecommerce(), ["payment"]), "steps[0] must name a step"),
    ((sl.scenarios.ecommerce(), "payment", 5), "steps[1] must name a step"),
    ((sl.scenarios.ecommerce(), "payment", "payment"), "steps must be distinct"),
])
def test_pessimistic_view_checks_its_arguments(args, words):
    with pytest.raises((TypeError, ValueError)) as info:
        sl.pessimistic_view(*args)
    assert words in str(info.value)


# -- numpy scalars and other real numbers are numbers ---------------------------------------
def test_numpy_scalars_and_fractions_are_accepted_as_numbers():
    s = sl.Step("pay", np.float32(0.25), failure_p=np.float64(0.1), capacity=np.int64(2),
                idempotent=np.bool_(True), compensation_retries=np.int8(3))
    assert s.service_time == sl.Constant(0.25) and s.capacity == 2 and s.idempotent is True
    assert type(s.capacity) is int and type(s.failure_p) is float
    assert sl.Exponential(Fraction(1, 2)).mean == 0.5
    assert sl.Network(hop=np.int64(0)).hop.is_zero
    assert math.isclose(sl.Outage("pay", np.float16(1), 2).start, 1.0)
