"""Invariants over random sagas and parameters (hypothesis, derandomized in CI)."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sagalab as sl

times = st.one_of(st.floats(0, 0.2).map(sl.Constant),
                  st.floats(0.001, 0.2).map(sl.Exponential),
                  st.floats(0.001, 0.2).map(lambda m: sl.LogNormal(m, 0.7)))


@st.composite
def sagas(draw):
    k = draw(st.integers(1, 5))
    steps = [sl.Step(f"s{i}", draw(times), failure_p=draw(st.floats(0, 0.6)),
                     capacity=draw(st.integers(1, 3)),
                     compensation_failure_p=draw(st.sampled_from([0.0, 0.0, 0.3])))
             for i in range(k)]
    init = draw(st.one_of(st.none(), times))
    return sl.Saga("random", steps, initiator_time=init)


def compensated_steps(saga, events):
    """Step indices in the order they reported their compensation (done or failed)."""
    order = {st_.name: i for i, st_ in enumerate(saga.steps)}
    said = {(st_.name, st_.compensation_event) for st_ in saga.steps} | {
        (st_.name, f"{st_.name.capitalize()}CompensationFailed") for st_ in saga.steps}
    out = []
    for src, name in zip(events.source.astype(str), events.name.astype(str)):
        if (src, name) in said and (not out or out[-1] != order[src]):
            out.append(order[src])
    return out


infra = st.fixed_dictionaries({
    "network": st.floats(0, 0.01).map(lambda h: sl.Network(hop=h)),
    "broker": st.floats(0, 0.01).map(lambda x: sl.Broker(latency=x)),
    "orchestrator": st.builds(sl.Orchestrator, capacity=st.integers(1, 3),
                              overhead=st.floats(0, 0.005)),
})


@given(saga=sagas(), pattern=st.sampled_from(sl.PATTERNS), rate=st.floats(1, 40),
       n=st.integers(1, 60), seed=st.integers(0, 2**32), kw=infra)
def test_saga_invariants(saga, pattern, rate, n, seed, kw):
    r = sl.simulate(saga, pattern, arrival_rate=rate, n_sagas=n, seed=seed, **kw)
    s, ev = r.sagas, r.events
    # every saga exactly once, with one outcome, and it ended
    assert list(s.saga_id) == list(range(n))
    assert s.outcome.isin(["completed", "compensated", "dlq"]).all()
    assert (s.end >= s.start).all()
    k = len(saga.steps)
    done = s.outcome == "completed"
    assert (s.steps_completed[done] == k).all() and s.failed_step[done].isna().all()
    # compensations only of completed steps: exactly the steps before the failed one
    assert (s.compensations[~done] == s.steps_completed[~done]).all()
    assert (s.compensations[done] == 0).all()
    assert (ev.kind == "dlq").groupby(ev.saga_id).sum().reindex(s.saga_id, fill_value=0) \
        .gt(0).to_numpy().tolist() == (s.outcome == "dlq").tolist()
    # compensations come in reverse step order, once per completed step
    for sid, g in ev.groupby("saga_id"):
        undone = compensated_steps(saga, g)
        assert undone == sorted(undone, reverse=True)
        assert len(undone) == len(set(undone)) == s.compensations[sid]
    # choreography's log shows no coordinator
    if pattern == "choreography":
        assert "orchestrator" not in set(ev.source.astype(str)) | set(ev.target.astype(str))
    # time accounting and messages
    parts = s.queueing + s.service + s.transit + s.coordination
    assert np.allclose(parts, s.latency)
    assert (ev.groupby("saga_id").size().reindex(s.saga_id).to_numpy() == s.messages).all()


@given(saga=sagas(), seed=st.integers(0, 2**32))
def test_same_seed_same_world_in_both_patterns(saga, seed):
    a, *others = (sl.simulate(saga, p, arrival_rate=10, n_sagas=30, seed=seed).sagas
                  for p in sl.PATTERNS)
    for b in others:
        assert a.outcome.equals(b.outcome) and a.failed_step.equals(b.failed_step)
        assert np.array_equal(a.start, b.start)
    again = sl.simulate(saga, "orchestration", arrival_rate=10, n_sagas=30, seed=seed).sagas
    assert again.equals(b)
