"""The playground's logic, without a browser: settings, runs, the share line, the widgets."""
import pandas as pd
import pytest

import sagalab as sl
from sagalab.ui import playground as pg

SMALL = pg.Settings(n_sagas=60)


def pictures(ui) -> bytes:
    return b"".join(bytes(i.value) for i in (ui.metrics_image, ui.graphs_image,
                                             ui.sequence_image))


def test_run_is_both_patterns_on_the_same_sagas_and_agrees_with_simulate():
    s = pg.Settings(n_sagas=80, arrival_rate=25, failure_p={"payment": 0.2})
    r = pg.run(s)
    assert list(r.results) == list(sl.SEED_PATTERNS)
    for p in sl.SEED_PATTERNS:
        alone = sl.simulate(s.saga(), p, arrival_rate=25, n_sagas=80, seed=0)
        pd.testing.assert_frame_equal(r.results[p].sagas, alone.sagas)
    pd.testing.assert_frame_equal(
        r.table, sl.compare(s.saga(), sl.SEED_PATTERNS, arrival_rate=25, n_sagas=80, seed=0),
        check_names=False)
    # common random numbers: the same customers fail under both patterns
    assert r.table.loc["compensated", "choreography"] == r.table.loc["compensated",
                                                                     "orchestration"]


def test_numbers_show_the_table_in_the_units_they_name():
    r = pg.run(SMALL)
    n = r.numbers()
    for p in sl.SEED_PATTERNS:
        assert int(n.loc["completed", p]) == r.table.loc["completed", p]
        assert float(n.loc["latency p99 (ms)", p]) == pytest.approx(
            r.table.loc["latency_p99", p] * 1000, abs=0.05)
        assert sum(int(n.loc[o, p]) for o in sl.OUTCOMES) == SMALL.n_sagas


def test_sweep_covers_every_load_and_saturates_with_a_slow_orchestrator():
    slow = pg.run(pg.Settings(n_sagas=40, orchestrator_overhead=0.02))
    sw = slow.sweep.set_index(["pattern", "arrival_rate"])["throughput"]
    assert len(slow.sweep) == len(sl.SEED_PATTERNS) * len(pg.LOADS)
    # one worker at 20 ms per decision, >= 4 decisions per saga: <= 12.5 sagas/s
    assert sw["orchestration", max(pg.LOADS)] < 13
    assert sw["choreography", max(pg.LOADS)] > 30


@pytest.mark.parametrize("settings", [
    pg.Settings(n_sagas=50),
    pg.Settings(n_sagas=50, failure_p={"inventory": 0.4}, arrival_rate=35,
                orchestrator_capacity=3, orchestrator_overhead=0.004, seed=7),
])
@pytest.mark.parametrize("pattern", sl.SEED_PATTERNS)
def test_share_line_reproduces_the_playground_run(settings, pattern):
    line = pg.share(settings, pattern)
    assert line.startswith("sl.simulate(") and "\n" not in line
    pasted = eval(line, {"sl": sl})  # what a user does after `import sagalab as sl`
    pd.testing.assert_frame_equal(pasted.sagas, pg.run(settings).results[pattern].sagas)
    pd.testing.assert_frame_equal(pasted.events, pg.run(settings).results[pattern].events)


def test_trace_choice_picks_the_saga_it_names():
    runs = {how: pg.run(pg.Settings(n_sagas=80, trace=how)) for how in pg.TRACE_CHOICES}
    s = runs["first failed"].results["orchestration"].sagas.set_index("saga_id")
    assert s.loc[runs["first failed"].saga_id, "outcome"] != "completed"
    assert (s.loc[:runs["first failed"].saga_id - 1, "outcome"] == "completed").all()
    assert s.loc[runs["first completed"].saga_id, "outcome"] == "completed"
    assert s.loc[runs["slowest"].saga_id, "latency"] == s["latency"].max()


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match="scenario"):
        pg.Settings(scenario="nope")
    with pytest.raises(ValueError, match="trace"):
        pg.Settings(trace="nope")
    with pytest.raises(ValueError, match="failure_p"):
        pg.Settings(failure_p={"payment": 1.5})
    with pytest.raises(KeyError, match="no step"):
        pg.Settings(failure_p={"refund": 0.1})
    if not pg.CRASH_AVAILABLE:
        with pytest.raises(ValueError, match="crash"):
            pg.Settings(crash=True)


def test_every_control_changes_what_is_computed_and_drawn():
    ui = pg.Playground(SMALL)
    moves = {"arrival_rate": 40.0, "orchestrator_capacity": 3, "orchestrator_overhead": 8.0,
             "trace": "slowest", "failure_payment": 0.3, "failure_inventory": 0.2,
             "failure_shipping": 0.25}
    assert set(moves) | {"scenario", "crash", "crash_start", "crash_duration",
                         "durable_log"} == set(ui.controls)
    for name, value in moves.items():
        before, picture = ui.last, pictures(ui)
        ui.controls[name].value = value
        after = ui.last
        assert after is not before, name
        assert after.settings != before.settings, name
        assert pictures(ui) != picture, name
        assert ui.numbers.value == after.numbers().to_html(classes="sagalab-numbers", border=0)
    s = ui.last.settings
    assert (s.arrival_rate, s.orchestrator_capacity, s.orchestrator_overhead) == (40.0, 3, 0.008)
    assert s.failure_p == {"payment": 0.3, "inventory": 0.2, "shipping": 0.25}
    # the callback's numbers are sl.simulate's with the controls' values
    expect = sl.simulate(s.saga(), "orchestration", arrival_rate=40.0, n_sagas=60, seed=0,
                         orchestrator=sl.Orchestrator(capacity=3, overhead=0.008))
    pd.testing.assert_series_equal(ui.last.table["orchestration"], expect.summary())


def test_share_button_and_reset():
    ui = pg.Playground(SMALL)
    ui.controls["failure_payment"].value = 0.4
    ui.share_button.click()
    assert ui.share_text.value == "\n".join(pg.share(ui.last.settings, p) for p in sl.SEED_PATTERNS)
    assert "payment=0.4" in ui.share_text.value and ui.share_text.layout.display != "none"
    ui.controls["arrival_rate"].value = 30
    assert "arrival_rate=30.0" in ui.share_text.value  # kept current while shown
    ui.reset_button.click()
    assert ui.last.settings == SMALL
    assert ui.controls["failure_payment"].value == 0.05
    assert ui.share_text.layout.display == "none"


def test_scenario_change_rebuilds_the_failure_sliders():
    ui = pg.Playground(SMALL)
    steps = ui.last.settings.saga().step_names
    assert [c.description for c in ui.failure_box.children] == [f"{s} fails" for s in steps]
    if len(pg.scenario_names()) > 1:
        other = pg.scenario_names()[1]
        ui.controls["scenario"].value = other
        assert ui.last.settings.scenario == other
        names = ui.last.settings.saga().step_names
        assert [c.description for c in ui.failure_box.children] == [f"{s} fails" for s in names]


@pytest.mark.skipif(not pg.CRASH_AVAILABLE, reason="needs the faults model (sl.Outage)")
def test_orchestrator_crash_changes_orchestration_outcomes_only():
    ui = pg.Playground(pg.Settings(n_sagas=120))
    before = ui.last.table
    ui.controls["crash"].value = True
    after = ui.last.table
    pd.testing.assert_series_equal(after["choreography"], before["choreography"])
    assert after.loc["stuck", "orchestration"] > 0
    ui.controls["durable_log"].value = True
    assert ui.last.table.loc["stuck", "orchestration"] == 0


def test_the_guide_names_controls_the_dashboard_has():
    import re
    ui = pg.Playground(SMALL)
    assert 3 <= len(pg.GUIDE) <= 6
    assert ui.guide.children[0].value == pg.guide_html()
    words = {c.description.lower() for c in ui.controls.values()}
    options = {str(o) for c in ui.controls.values() for o in getattr(c, "options", ())}
    for do, _ in pg.GUIDE:
        for name in re.findall(r"<b>(.*?)</b>", do):
            assert name in options or any(d.startswith(name.lower()) for d in words), name


def test_event_graphs_are_drawn_at_their_natural_size():
    from io import BytesIO

    from PIL import Image

    from sagalab.ui import _playground_draw as draw
    ui = pg.Playground(SMALL)
    sheet = Image.open(BytesIO(bytes(ui.graphs_image.value)))
    natural = max(sl.plot.event_graph(sl.event_graph(SMALL.saga(), p), fontsize=draw.GRAPH_PT)
                  .figure.get_figwidth() for p in sl.SEED_PATTERNS) * draw.GRAPH_DPI  # pixels
    assert sheet.width == pytest.approx(natural, abs=2)
    assert sheet.height > sheet.width / 2  # the two patterns one under the other
    assert ui.graphs_image.layout.max_width == "100%" and ui.graphs_image.layout.width == "auto"
