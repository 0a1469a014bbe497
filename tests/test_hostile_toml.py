"""Hostile saga files: special files, huge or binary input, deep nesting, and errors that name
the file, the table and the key. Fuzzed with random bytes, random documents and random nesting.
"""
import json
import os
import re
import tempfile
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl
from sagalab.model import _toml

GOOD = 'name = "s"\n[[steps]]\nname = "pay"\nservice_time = 0.01\n'


def load_text(tmp_path, data, name="course.toml"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def refused(path, exc=ValueError):
    with pytest.raises(exc) as info:
        sl.Saga.from_toml(path)
    assert str(info.value).startswith(str(path)), str(info.value)
    return str(info.value)


def test_a_fifo_without_a_writer_is_refused_without_waiting(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    box = []
    worker = threading.Thread(target=lambda: box.append(pytest.raises(ValueError,
                                                                      sl.Saga.from_toml, path)))
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "from_toml waited for a writer"
    assert "FIFO" in str(box[0].value) and str(path) in str(box[0].value)


@pytest.mark.parametrize("special, words", [("/dev/zero", "character device"),
                                            ("/dev/null", "character device")])
def test_devices_are_refused(special, words):
    if not os.path.exists(special):
        pytest.skip(f"no {special} here")
    assert words in refused(special)


def test_a_directory_is_refused(tmp_path):
    assert "directory" in refused(tmp_path)


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = load_text(tmp_path, GOOD + "#" * _toml.MAX_BYTES)
    assert "MAX_BYTES" in refused(path)
    with pytest.raises(ValueError, match="MAX_BYTES"):
        sl.tomlio.loads(GOOD + "#" * _toml.MAX_BYTES)


@pytest.mark.parametrize("data, words", [
    (GOOD.encode("latin-1") + "# café".encode("latin-1"), "not UTF-8 text (byte 0xe9"),
    (GOOD.encode("utf-16"), "not UTF-8 text (byte 0xff at offset 0"),
    (bytes(range(256)), "not UTF-8 text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
    (b"name = \"s\"\x00", "not valid TOML"),
])
def test_binary_and_other_encodings_name_the_file(tmp_path, data, words):
    assert words in refused(load_text(tmp_path, data))


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = load_text(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    assert sl.Saga.from_toml(path).step_names == ("pay",)
    assert sl.tomlio.loads("\ufeff" + GOOD).step_names == ("pay",)


@pytest.mark.parametrize("text", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "[" * 60 + "]" * 60,
    "x = " + "{a = " * 60 + "1" + "}" * 60,
    "x." + ".".join(["a"] * 60) + " = 1",
    "[" + ".".join(["t"] * 60) + "]\nx = 1",
    'name = "s"\n[[steps]]\nname = "a"\nservice_time = 1\nwhen = '
    + '{all = [' * 30 + '{field = "a", op = ">", value = 1}' + ', {field = "a", op = ">", '
    'value = 1}]}' * 30,
])
def test_deep_nesting_is_refused_not_a_recursion_error(text):
    with pytest.raises(ValueError, match=r"<string>: .*(MAX_DEPTH|nested|deep)"):
        sl.tomlio.loads(text)


STEP = 'name = "x"\n[[steps]]\nname = "a"\n'


@pytest.mark.parametrize("text, words", [
    (STEP + 'service_time = {dist = "exponential"}', "steps[0].service_time.mean: missing"),
    (STEP + 'service_time = {dist = "lognormal", sigma = 1}', "steps[0].service_time.mean: "
                                                               "missing"),
    (STEP + 'service_time = {dist = "constant"}', "steps[0].service_time.value: missing"),
    (STEP + 'service_time = {dist = "exponential", mean = -1}',
     "steps[0].service_time: Exponential: mean must be"),
    (STEP + 'service_time = {dist = "lognormal", mean = 1, sigma = 9}',
     "steps[0].service_time: LogNormal: sigma must be"),
    (STEP + 'service_time = {dist = ["exponential"], mean = 1}', "steps[0].service_time.dist"),
    (STEP + 'service_time = 1e999', "steps[0]: Step 'a': service_time must be"),
    (STEP + 'service_time = nan', "steps[0]: Step 'a': service_time must be"),
    (STEP + 'service_time = 1\ncapacity = 1e3', "steps[0]: Step 'a': capacity must be"),
    (STEP + 'service_time = 1\ncapacity = 1000000000000', "capacity must be an integer >= 1 "
                                                          "and <= 1,000,000 (MAX_WORKERS)"),
    (STEP + 'service_time = 1\ncompensation_retries = 1000000000', "compensation_retries"),
    (STEP + 'service_time = 1\nsuccess_event = "A\\nB"', "steps[0]: Step 'a': success_event"),
    (STEP + 'service_time = 1\nsuccess_event = "X"\nfailure_event = "X"', "'X' is used twice"),
    (STEP + 'service_time = 1979-05-27', "steps[0].service_time: expected a number of seconds"),
    (STEP + 'service_time = 1\nkind = "retriable"\nfailure_p = 0.9999', "failure_p"),
    (STEP + 'service_time = 1\nwhen = {field = "amount", op = "<>", value = 1}',
     "steps[0].when: Condition: op must be"),
    (STEP + 'service_time = 1\nwhen = {all = [{field = "a", op = ">", value = 1}]}',
     "steps[0].when.all: AllOf: terms must hold at least two"),
    (STEP + 'service_time = 1\nwhen = {all = 5}', "steps[0].when.all: expected an array"),
    ('name = "x"\n[attributes]\ntier = {choice = "gold"}\n[[steps]]\nname = "a"\n'
     'service_time = 1', "attributes.tier.choice: expected an array"),
    ('name = "x"\n[attributes]\ntier = {choice = ["a", "a"]}\n[[steps]]\nname = "a"\n'
     'service_time = 1', "attributes.tier.choice: Choice: values must be unique"),
    ('name = "x"\n[attributes]\ntier = {choice = ["a", "b"], weights = [1, -1]}\n[[steps]]\n'
     'name = "a"\nservice_time = 1', "attributes.tier.weights: Choice: weights must be"),
    ('name = "x"\n[attributes]\ntier = {choice = ["a", "b"], weights = [1]}\n[[steps]]\n'
     'name = "a"\nservice_time = 1', "attributes.tier.weights: Choice: weights must have one"),
    ('name = "x"\n[attributes]\namount = {dist = "exponential", mean = 0}\n[[steps]]\n'
     'name = "a"\nservice_time = 1', "attributes.amount: Exponential: mean must be"),
    ('name = "x"\nsteps = []', "steps must hold at least one Step"),
    ('name = "x"\nsteps = 5', "steps: expected an array"),
    ('name = "x"\nsteps = [1]', "steps[0]: expected a table"),
    ('name = 5\n' + STEP[11:] + 'service_time = 1', "Saga: name must be a str"),
    ('name = "x"\ninitiator = "a b"\n' + STEP[11:] + 'service_time = 1', "initiator must be"),
    ('name = "x"\n' + '[[steps]]\nname = "a"\nservice_time = 1\n' * 101, "steps: at most 100"),
    ("x = " + "1" * 5000, "not valid TOML"),
])
def test_errors_name_the_file_the_table_and_the_key(tmp_path, text, words):
    message = refused(load_text(tmp_path, text), (ValueError, TypeError))
    assert words in message, message


@pytest.mark.parametrize("path, exc, words", [
    (3, TypeError, "path must be a str or os.PathLike"), (None, TypeError, "path"),
    (b"course.toml", TypeError, "path"), ("a\0b.toml", ValueError, "NUL"),
])
def test_a_bad_path_is_refused(path, exc, words):
    with pytest.raises(exc, match=words):
        sl.Saga.from_toml(path)


def test_a_missing_file_is_an_os_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.toml"):
        sl.Saga.from_toml(tmp_path / "nothing.toml")


@pytest.mark.parametrize("text", [b"name", None, 5, ["name"]])
def test_loads_wants_text(text):
    with pytest.raises(TypeError, match="must be a str"):
        sl.tomlio.loads(text)


def test_dumps_wants_a_saga():
    with pytest.raises(TypeError, match="saga must be a Saga"):
        sl.tomlio.dumps("saga")


def _fuzzed(text: str, source="<fuzz>"):
    """Load ``text``: a Saga, or one ValueError/TypeError that names the source."""
    try:
        return sl.tomlio.loads(text, source)
    except (ValueError, TypeError) as exc:
        assert str(exc).startswith(source), str(exc)
        return None


@given(st.binary(max_size=400))
def test_random_bytes_give_a_saga_or_an_error_naming_the_file(data):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fuzz.toml")
        with open(path, "wb") as f:
            f.write(data)
        try:
            sl.Saga.from_toml(path)
        except (ValueError, TypeError) as exc:
            assert str(exc).startswith(path), str(exc)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_value(x) -> str:
    """TOML text of a nested value with keys quoted where they must be."""
    if isinstance(x, dict):
        keys = (k if _BARE.match(k) else json.dumps(k) for k in x)
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in zip(keys, x.values())) + "}"
    if isinstance(x, list):
        return "[" + ", ".join(_toml_value(v) for v in x) + "]"
    return _toml._value(x)


scalars = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(),
                    st.text(max_size=12), st.sampled_from(["exponential", "constant", "lognormal",
                                                           "pay", ">", "in", "retriable"]))
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["dist", "mean", "value", "sigma", "choice", "weights",
                                     "field", "op", "all", "any", "x", ""]), inner, max_size=4)),
    max_leaves=12)
STEP_KEYS = ["name", "service_time", "failure_p", "capacity", "compensation_time", "kind",
             "when", "success_event", "compensation_retries", "stage", "parallel", "bogus"]


@st.composite
def documents(draw):
    """A saga document whose keys are mostly right and whose values are often junk."""
    steps = []
    for i in range(draw(st.integers(0, 3))):
        step = {"name": f"s{i}", "service_time": 0.01}
        for key in draw(st.lists(st.sampled_from(STEP_KEYS), max_size=4)):
            step[key] = draw(junk)
        steps.append(step)
    doc = {"name": draw(st.one_of(st.just("fuzz"), junk)), "steps": steps}
    for key in draw(st.lists(st.sampled_from(["initiator", "initiator_time",
                                              "initiator_capacity", "attributes", "other"]),
                             max_size=2)):
        doc[key] = draw(junk)
    return "\n".join(f"{k} = {_toml_value(v)}" for k, v in doc.items())


@given(documents())
def test_random_documents_give_a_saga_or_an_error_naming_the_source(text):
    _fuzzed(text)


@given(st.lists(st.sampled_from(["[", "{a = ", "[[", "{"]), min_size=1, max_size=3000),
       st.booleans())
def test_random_nesting_never_raises_a_recursion_error(opens, close):
    closing = {"[": "]", "{a = ": "}", "[[": "]]", "{": "}"}
    text = "x = " + "".join(opens) + "1" + ("".join(closing[o] for o in reversed(opens))
                                           if close else "")
    _fuzzed(text)
