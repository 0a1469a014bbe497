import dataclasses
import pickle

import numpy as np
import pytest

import sagalab as sl


def test_specs_are_frozen_values_with_equality_and_repr():
    a = sl.Step("payment", sl.Exponential(0.05), failure_p=0.1)
    b = sl.Step("payment", sl.Exponential(0.05), failure_p=0.1)
    assert a == b and hash(a) == hash(b)
    assert "failure_p=0.1" in repr(a)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.failure_p = 0.2
    saga = sl.Saga("s", [a])
    assert isinstance(saga.steps, tuple)
    assert pickle.loads(pickle.dumps(saga)) == saga


def test_numbers_become_constants():
    s = sl.Step("x", 0.25)
    assert s.service_time == sl.Constant(0.25)
    assert s.compensation == sl.Constant(0.25)  # None means "like the service"
    assert sl.Network(hop=0).hop.is_zero


def test_with_failure_p_returns_changed_copy():
    saga = sl.scenarios.ecommerce()
    changed = saga.with_failure_p(payment=0.5, shipping=0.0)
    assert changed.step("payment").failure_p == 0.5
    assert changed.step("shipping").failure_p == 0.0
    assert saga.step("payment").failure_p == 0.05  # original untouched
    assert changed.step("inventory") == saga.step("inventory")
    with pytest.raises(KeyError, match="no step 'billing'"):
        saga.with_failure_p(billing=0.1)
    with pytest.raises(ValueError, match="failure_p must be a probability in \\[0, 1\\]"):
        saga.with_failure_p(payment=1.5)


@pytest.mark.parametrize("make, exc, message", [
    (lambda: sl.Step("p", 1, failure_p=1.5), ValueError, r"Step 'p': failure_p .* \[0, 1\]"),
    (lambda: sl.Step("p", 1, failure_p=-0.1), ValueError, "failure_p"),
    (lambda: sl.Step("p", -1), ValueError, "service_time must be a time >= 0"),
    (lambda: sl.Step("p", "fast"), TypeError, "service_time must be a Distribution"),
    (lambda: sl.Step("p", 1, capacity=0), ValueError, "capacity must be an integer >= 1"),
    (lambda: sl.Step("p", 1, capacity=1.5), TypeError, "capacity must be an integer"),
    (lambda: sl.Step("p", 1, compensation_failure_p=2), ValueError, "compensation_failure_p"),
    (lambda: sl.Step("p", 1, idempotent="yes"), TypeError, "idempotent must be True or False"),
    (lambda: sl.Step("", 1), ValueError, "name must be a non-empty name"),
    (lambda: sl.Step("a.b", 1), ValueError, "name"),
    (lambda: sl.Step("orchestrator", 1), ValueError, "reserved"),
    (lambda: sl.Saga("s", []), ValueError, "at least one Step"),
    (lambda: sl.Saga("s", [sl.Step("a", 1), sl.Step("a", 2)]), ValueError, "unique"),
    (lambda: sl.Saga("s", [sl.Step("order", 1)]), ValueError, "initiator 'order' must differ"),
    (lambda: sl.Saga("s", ["payment"]), TypeError, r"steps\[0\] must be a Step"),
    (lambda: sl.Exponential(0), ValueError, r"mean must be in \(0, 1e\+09\] \(MAX_VALUE\)"),
    (lambda: sl.Exponential(float("nan")), ValueError, "finite"),
    (lambda: sl.LogNormal(1, -1), ValueError, "sigma"),
    (lambda: sl.Constant(-2), ValueError, "value"),
    (lambda: sl.Network(hop=-0.1), ValueError, "Network: hop"),
    (lambda: sl.Broker(latency="slow"), TypeError, "Broker: latency"),
    (lambda: sl.Orchestrator(capacity=0), ValueError, "Orchestrator: capacity"),
])
def test_bad_input_is_refused_at_construction(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_distribution_means():
    rng = np.random.default_rng(3)
    for d in (sl.Constant(0.2), sl.Exponential(0.2), sl.LogNormal(0.2, 0.8)):
        assert d.sample(rng, 400_000).mean() == pytest.approx(d.mean, rel=0.01)
    assert sl.LogNormal(1, 0.5).scv == pytest.approx(np.expm1(0.25))


def S(name, **kw):
    return sl.Step(name, 1, **kw)


@pytest.mark.parametrize("make, exc, message", [
    (lambda: sl.Saga("s", [S("r", kind="retriable"), S("p", kind="pivot")]), ValueError,
     "step 'p' is pivot but comes after the retriable step 'r'.*retriable step before the pivot"),
    (lambda: sl.Saga("s", [S("p", kind="pivot"), S("c")]), ValueError,
     "'c' is compensatable but comes after the pivot step 'p'"),
    (lambda: sl.Saga("s", [S("p", kind="pivot"), S("q", kind="pivot")]), ValueError,
     "at most one pivot"),
    (lambda: S("x", kind="optional"), ValueError, "kind must be one of"),
    (lambda: S("x", kind="retriable", failure_p=1.0), ValueError, "must be <= 0.999"),
    (lambda: S("x", when="amount > 1000"), TypeError, "when must be a Condition"),
    (lambda: S("x", stage=""), ValueError, "stage must be a non-empty name"),
    (lambda: sl.Saga("s", [S("a", stage="x"), S("b"), S("c", stage="x")]), ValueError,
     "stage 'x' must be consecutive"),
    (lambda: sl.Saga("s", [S("a", parallel="g"), S("b", stage="x"), S("c", parallel="g")]),
     ValueError, "parallel 'g' must be consecutive"),
    (lambda: sl.Saga("s", [S("a", parallel="g"), S("p", kind="pivot", parallel="g")]),
     ValueError, "parallel group 'g' mixes kinds"),
    (lambda: sl.Saga("s", [S("a", parallel="g"), S("r", kind="retriable", parallel="g")]),
     ValueError, "mixes kinds"),
    (lambda: sl.Saga("s", [S("a")], attributes={"latency": 1.0}), ValueError, "shadow a column"),
    (lambda: sl.Saga("s", [S("a")], attributes={"amount": "big"}), TypeError,
     r"attributes\['amount'\] must be a Distribution"),
    (lambda: sl.Saga("s", [S("a")], attributes=[("amount", 1.0), ("amount", 2.0)]), ValueError,
     "attributes must have unique names"),
    (lambda: sl.Saga("s", [S("a")], attributes=5), TypeError, "attributes must be a mapping"),
])
def test_workflow_specs_refuse_bad_structure(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_workflow_specs_accept_the_saga_order_of_kinds():
    saga = sl.Saga("s", [S("a"), S("p", kind="pivot"), S("r", kind="retriable", failure_p=0.5),
                         S("q", kind="retriable", parallel="g"),
                         S("z", kind="retriable", parallel="g")],
                   attributes={"amount": sl.LogNormal(100, 1)})
    assert [s.kind for s in saga.steps][:3] == ["compensatable", "pivot", "retriable"]
    assert saga.attributes == (("amount", sl.LogNormal(100, 1)),)
    assert S("x").skip_event == "XSkipped"
    assert pickle.loads(pickle.dumps(saga)) == saga
