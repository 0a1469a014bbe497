import pickle

import numpy as np
import pytest

import sagalab as sl
from sagalab.model import rules


def test_choice_draws_with_its_weights():
    tier = sl.Choice(("gold", "standard", "new"), (1, 2, 1))
    x = tier.sample(np.random.default_rng(0), 40_000)
    assert (x == "standard").mean() == pytest.approx(0.5, abs=0.01)
    assert (x == "gold").mean() == pytest.approx(0.25, abs=0.01)
    assert set(sl.Choice((1, 2)).sample(np.random.default_rng(1), 100).tolist()) == {1, 2}


@pytest.mark.parametrize("make, exc, message", [
    (lambda: sl.Choice(()), ValueError, "at least one value"),
    (lambda: sl.Choice(("a", "a")), ValueError, "unique"),
    (lambda: sl.Choice(("a", 1)), TypeError, "all text or all numbers"),
    (lambda: sl.Choice((True, False)), TypeError, "str or a finite number"),
    (lambda: sl.Choice(("a", "b"), (1,)), ValueError, "one entry per value"),
    (lambda: sl.Choice(("a", "b"), (1, 0)), ValueError, r"a weight in \(0, "),
    (lambda: sl.Choice("ab"), TypeError, "values must be a sequence"),
    (lambda: sl.Condition("amount", "=>", 1), ValueError, "op must be one of"),
    (lambda: sl.Condition("amount", "in", 5), TypeError, "must be a sequence"),
    (lambda: sl.Condition("amount", "in", []), ValueError, "must not be empty"),
    (lambda: sl.Condition("amount", ">", None), TypeError, "str or a finite number"),
    (lambda: sl.Condition("__import__('os')", ">", 1), ValueError, "field must be a non-empty"),
    (lambda: sl.AllOf((sl.Condition("a", ">", 1),)), ValueError, "at least two"),
    (lambda: sl.AnyOf((sl.Condition("a", ">", 1), "b > 2")), TypeError, "terms must be"),
])
def test_bad_rules_are_refused(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_conditions_evaluate_on_blocks_and_single_sagas():
    attrs = {"amount": np.array([500.0, 1500.0, 3000.0]),
             "tier": np.array(["gold", "new", "standard"])}
    big = sl.Condition("amount", ">", 1000)
    new = sl.Condition("tier", "in", ("new", "standard"))
    assert big.mask(attrs).tolist() == [False, True, True]
    assert (big & sl.Condition("tier", "!=", "new")).mask(attrs).tolist() == [False, False, True]
    assert (sl.Condition("amount", "<=", 500) | new).mask(attrs).tolist() == [True, True, True]
    assert sl.Condition("tier", "not in", ["gold"]).mask(attrs).tolist() == [False, True, True]
    assert big({"amount": 1000.0}) is False and sl.Condition("amount", ">=", 1000)(
        {"amount": 1000.0}) is True
    assert str(big | new) == "(amount > 1000) or (tier in ('new', 'standard'))"


def test_conditions_are_values():
    c = sl.Condition("tier", "in", ["gold", "new"])
    assert c == sl.Condition("tier", "in", ("gold", "new")) and hash(c)
    both = c & sl.Condition("amount", ">", 1)
    assert pickle.loads(pickle.dumps(both)) == both


@pytest.mark.parametrize("when, exc, message", [
    (sl.Condition("size", ">", 1), ValueError, r"attribute 'size', but the saga's attributes"),
    (sl.Condition("tier", ">", "gold"), ValueError, "orders the text attribute"),
    (sl.Condition("tier", "==", 3), TypeError, "same type"),
    (sl.Condition("amount", "in", ("x",)), TypeError, "same type"),
    (sl.Condition("amount", ">", 1) & sl.Condition("size", "<", 2), ValueError, "'size'"),
])
def test_a_saga_refuses_conditions_it_cannot_evaluate(when, exc, message):
    attrs = {"amount": sl.Exponential(100), "tier": sl.Choice(("gold", "new"))}
    with pytest.raises(exc, match=message):
        sl.Saga("s", [sl.Step("a", 1, when=when)], attributes=attrs)
    assert rules.is_rule(when)
