import pytest

import sagalab as sl
from sagalab.model import tomlio

SCENARIOS = [sl.scenarios.ecommerce, sl.scenarios.travel_booking, sl.scenarios.loan_approval,
             sl.scenarios.user_onboarding]


@pytest.mark.parametrize("make", SCENARIOS)
def test_every_scenario_round_trips_through_a_file(make, tmp_path):
    saga = make()
    path = tmp_path / f"{saga.name}.toml"
    path.write_text(saga.to_toml())
    back = sl.Saga.from_toml(path)
    assert back == saga and back.to_toml() == saga.to_toml()


def test_a_hand_written_file_with_defaults():
    saga = tomlio.loads('''
name = "mini"
[attributes]
amount = {dist = "exponential", mean = 100.0}
[[steps]]
name = "pay"
service_time = 0.05
when = {any = [{field = "amount", op = ">", value = 10}, {field = "amount", op = "<", value = 1}]}
[[steps]]
name = "ship"
service_time = {dist = "constant", value = 0.02}
kind = "pivot"
''')
    assert saga == sl.Saga("mini", [
        sl.Step("pay", 0.05, when=sl.Condition("amount", ">", 10)
                | sl.Condition("amount", "<", 1)),
        sl.Step("ship", 0.02, kind="pivot")], attributes={"amount": sl.Exponential(100.0)})


def test_a_callable_condition_cannot_be_written():
    saga = sl.Saga("s", [sl.Step("a", 1, when=lambda a: True)])
    with pytest.raises(TypeError, match="step 'a': when is a Python callable.*sl.Condition"):
        saga.to_toml()


@pytest.mark.parametrize("text, message", [
    ("name = ", "not valid TOML"),
    ('name = "x"', "steps: missing"),
    ('name = "x"\ncolour = 1\n[[steps]]\nname = "a"\nservice_time = 1',
     r"colour: unknown key; expected one of \['name'"),
    ('name = "x"\n[[steps]]\nname = "a"', r"steps\[0\]: expected a step table with 'service_time'"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = 1\nspeed = 2',
     r"steps\[0\]\.speed: unknown key"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = "fast"',
     r"steps\[0\]\.service_time: expected a number of seconds or a table"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = {dist = "gamma", mean = 1}',
     r"steps\[0\]\.service_time\.dist: expected \"constant\", \"exponential\" or \"lognormal\""),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = {dist = "exponential", man = 1}',
     r"steps\[0\]\.service_time\.man: unknown key"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = 1\nwhen = "amount > 1000"',
     r"steps\[0\]\.when: expected a table \{field = \.\.\., op = \.\.\., value = \.\.\.\}"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = 1\nwhen = {field = "amount", op = ">"}',
     r"steps\[0\]\.when: expected .*missing \['value'\]"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = 1\nfailure_p = 2',
     r"Step 'a': failure_p must be a probability"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = 1\n'
     'when = {field = "__import__(\'os\').system(\'true\')", op = "==", value = 1}',
     "field must be a non-empty name"),
    ('name = "x"\n[[steps]]\nname = "a"\nservice_time = 1\n'
     'when = {field = "amount", op = ">", value = 1}', "attribute 'amount', but the saga's"),
])
def test_a_malformed_file_names_the_file_the_key_and_what_was_expected(text, message, tmp_path):
    path = tmp_path / "course.toml"
    path.write_text(text)
    with pytest.raises((ValueError, TypeError), match=message) as info:
        sl.Saga.from_toml(path)
    assert str(info.value).startswith(str(path))
