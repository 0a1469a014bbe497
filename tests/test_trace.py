import numpy as np
import pandas as pd
import pytest

import sagalab as sl

SAGA = (sl.scenarios.ecommerce(payment_failure_p=0.15, inventory_failure_p=0.15)
        .with_step("payment", compensation_failure_p=0.3))


@pytest.fixture(scope="module", params=sl.PATTERNS)
def run(request):
    return sl.simulate(SAGA, request.param, arrival_rate=40, n_sagas=1500, seed=5)


def first(r, outcome):
    return int(r.sagas.saga_id[r.sagas.outcome == outcome].iloc[0])


def test_trace_is_the_sagas_messages_in_order(run):
    sid = first(run, "dlq")
    t = run.trace(sid)
    ev = run.events[run.events.saga_id == sid]
    assert list(t.name) == list(ev.name.astype(str))
    assert np.allclose(t.t, ev.time - run.sagas.start[sid])
    assert (t.t >= 0).all() and (t.arrives >= t.t).all()
    assert t.attrs["participants"][0] == "order" and t.attrs["participants"][-1] == "dlq"
    assert type(t[["name"]]) is pd.DataFrame  # derived frames are plain


def test_trace_text_draws_one_line_per_message(run):
    sid = first(run, "compensated")
    t = run.trace(sid)
    lines = str(t).splitlines()
    assert len(lines) == 2 + len(t)
    assert lines[0].startswith(f"saga {sid} ({run.pattern}): compensated, failed at")
    assert lines[1].split()[2:] == t.attrs["participants"]
    for line, name in zip(lines[2:], t.name):
        assert name in line and line.count("●") == 1 and ("▶" in line) != ("◀" in line)


def test_mermaid_declares_everyone_and_draws_every_message(run):
    sid = first(run, "dlq")
    text = run.to_mermaid(sid)
    lines = text.strip().splitlines()
    assert lines[0] == "sequenceDiagram"
    t = run.trace(sid)
    assert sum(line.strip().startswith("participant") for line in lines) == len(
        t.attrs["participants"])
    arrows = [line for line in lines if ": " in line and ("->>" in line or "-x" in line
                                                            or "-)" in line)]
    assert len(arrows) == len(t)
    assert any("-x" in a and "Failed" in a for a in arrows)


def test_spans_account_for_queueing_service_and_coordination(run):
    s = sl.spans(run)
    d = s.assign(d=s.end - s.start)
    assert (d.d >= -1e-12).all()
    at_services = d.participant != "orchestrator"
    sagas = run.sagas.set_index("saga_id")

    def total(mask):
        return d[mask].groupby("saga_id").d.sum().reindex(sagas.index, fill_value=0.0)

    assert np.allclose(total((d.phase == "wait") & at_services), sagas.queueing, atol=1e-9)
    assert np.allclose(total(d.phase.isin(["work", "compensation"])), sagas.service, atol=1e-9)
    assert np.allclose(total((d.phase.isin(["wait", "decision"]))
                             & ~at_services), sagas.coordination, atol=1e-9)
    assert np.allclose(total(d.phase == "transit"), sagas.transit, atol=1e-9)
    assert sagas.queueing.sum() > 0.5  # the check is not vacuous: queues formed


def test_spans_of_a_few_sagas_equal_those_of_the_whole_run(run):
    ids = [200, 201, 777]
    few = sl.spans(run, ids)
    full = sl.spans(run)
    full = full[full.saga_id.isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(few, full)


def test_trace_refuses_bad_saga_ids(run):
    with pytest.raises(ValueError, match="saga_id must be in"):
        run.trace(10_000)
    with pytest.raises(TypeError, match="saga_id must be an int"):
        run.trace("3")
