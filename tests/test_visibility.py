import pytest

import sagalab as sl


@pytest.fixture(scope="module")
def runs():
    saga = sl.scenarios.ecommerce(payment_failure_p=0.2)
    return {p: sl.simulate(saga, p, arrival_rate=10, n_sagas=200, seed=3) for p in sl.PATTERNS}


def test_orchestrator_log_alone_tells_where_every_saga_is(runs):
    cov = sl.log_coverage(runs["orchestration"])
    assert cov.one_complete_log == 1.0
    st = sl.where_is(runs["orchestration"], 42)
    assert st.complete_logs == ("orchestrator",)
    assert st.status == runs["orchestration"].sagas.outcome[42]


def test_choreography_spreads_the_story_over_services(runs):
    r = runs["choreography"]
    done = r.sagas.index[r.sagas.outcome == "completed"][0]
    st = sl.where_is(r, int(done))
    assert st.complete_logs == ()  # no participant saw every event of a completed saga
    assert set(st.logs_to_merge) == {"order", "payment", "inventory", "shipping"}
    assert sl.log_coverage(r).one_complete_log < 0.5


def test_status_over_time(runs):
    r = runs["orchestration"]
    row = r.sagas.iloc[7]
    assert sl.where_is(r, 7, at=row.start - 1).status == "not started"
    mid = sl.where_is(r, 7, at=(row.start + row.end) / 2)
    assert mid.status == "in progress" and 0 < mid.messages_so_far < row.messages
    assert "saga 7" in repr(mid)


def test_bad_input(runs):
    with pytest.raises(ValueError, match="saga_id must be an integer >= 0 and <= 199"):
        sl.where_is(runs["choreography"], 10_000)
    r = sl.simulate(sl.scenarios.ecommerce(), "choreography", arrival_rate=5, n_sagas=5,
                    trace=False)
    with pytest.raises(ValueError, match="trace=False"):
        sl.where_is(r, 1)


def test_a_stuck_saga_is_found_where_it_stopped():
    crash = [sl.Outage("orchestrator", start=1.0, duration=1.0)]
    r = sl.simulate(sl.scenarios.ecommerce(), "orchestration", arrival_rate=20, n_sagas=60,
                    seed=1, faults=crash)
    sid = int(r.sagas.saga_id[r.sagas.outcome == "stuck"].iloc[0])
    status = sl.where_is(r, sid)
    assert status.status == "in progress" and status.messages_so_far > 0
    assert status.at == r.params["duration"]
