"""Random junk to every public constructor: a valid object, or one clear error naming the field.

Hypothesis draws one field of one constructor and a value from every family of
junk (None, bools, huge and negative integers, NaN and infinities, text with
control characters, bytes, nested lists, tuples and dicts, numpy scalars and
arrays, complex numbers); the other fields keep valid values. The call must
return an object of the class or raise a ValueError or TypeError whose message
names the field, never anything else.
"""
import dataclasses

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl

BASE = {
    sl.Constant: {"value": 1.0}, sl.Exponential: {"mean": 1.0},
    sl.LogNormal: {"mean": 1.0, "sigma": 0.5},
    sl.Step: {"name": "pay", "service_time": 0.01},
    sl.Saga: {"name": "s", "steps": [sl.Step("pay", 0.01)]},
    sl.Network: {}, sl.Broker: {}, sl.Orchestrator: {},
    sl.Outage: {"target": "pay", "start": 1.0, "duration": 1.0},
    sl.Stock: {"step": "pay"}, sl.Credit: {"step": "pay"},
    sl.Choice: {"values": ("a", "b")},
    sl.Condition: {"field": "amount", "op": ">", "value": 1},
}
TARGETS = [(cls, f.name) for cls in BASE for f in dataclasses.fields(cls)]
SCENARIOS = [(make, name) for make in (sl.scenarios.ecommerce, sl.scenarios.travel_booking,
                                        sl.scenarios.loan_approval, sl.scenarios.user_onboarding,
                                        sl.scenarios.chain)
             for name in make.__code__.co_varnames[:make.__code__.co_argcount
                                                   + make.__code__.co_kwonlyargcount]]

numpy_scalars = st.one_of(st.floats().map(np.float64), st.integers(-(2**63), 2**63 - 1)
                          .map(np.int64), st.booleans().map(np.bool_),
                          st.floats(width=32).map(np.float32))
atoms = st.one_of(st.none(), st.booleans(), st.integers(),
                  st.sampled_from([10**400, -(10**400), 2**63, 2**64, -(2**63) - 1]),
                  st.floats(), st.sampled_from([1e308, -1e308, 5e-324, 2e9, 1e9, 0.999, 1.0]),
                  st.text(max_size=20), st.binary(max_size=8), st.complex_numbers(),
                  numpy_scalars, st.sampled_from(["pay", "orchestrator", "A\nB", "", " ",
                                                  "exponential", ">", "in", "retriable"]))
junk = st.recursive(atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(st.text(max_size=5), inner, max_size=3),
    st.lists(st.floats(), max_size=4).map(np.array)), max_leaves=10)


def _refused_naming(field, call):
    try:
        return call()
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert field in message, f"{field!r} not named in: {message}"
        assert "\n" not in message
        return None


@given(target=st.sampled_from(TARGETS), value=junk)
def test_junk_to_a_constructor_gives_an_object_or_an_error_naming_the_field(target, value):
    cls, field = target
    out = _refused_naming(field, lambda: cls(**{**BASE[cls], field: value}))
    assert out is None or isinstance(out, cls)


@given(target=st.sampled_from(SCENARIOS), value=junk)
def test_junk_to_a_scenario_gives_a_saga_or_an_error_naming_the_argument(target, value):
    make, arg = target
    out = _refused_naming(arg, lambda: make(**{arg: value}))
    assert out is None or isinstance(out, sl.Saga)


@given(values=st.lists(junk, max_size=4), weights=st.one_of(st.none(), st.lists(junk,
                                                                                 max_size=4)))
def test_junk_choices_give_a_choice_or_a_clear_error(values, weights):
    try:
        sl.Choice(values, weights)
    except (ValueError, TypeError) as exc:
        assert "Choice: values" in str(exc) or "Choice: weights" in str(exc), str(exc)
