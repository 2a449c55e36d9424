"""procflow forecast: a hand-computed model, determinism across workers and on Dask, common random
numbers with --compare, the shipped COA model against the current workflows, and bad models as
positioned findings."""
from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import DefinitionError
from engine.forecast.command import Options, forecast
from engine.forecast.figures import percentile
from engine.forecast.model import load_model_text

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
HAND = ROOT / "tests" / "fixtures" / "forecast" / "hand.yaml"
COA_MODEL = ROOT / "models" / "coa.yaml"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def play(model: Path, **kw) -> dict:
    kw.setdefault("workflows_dir", WORKFLOWS)
    return forecast(Options(model, **kw))


def without_timings(result: dict) -> dict:
    out = json.loads(json.dumps(result))
    for r in out["runs"].values():
        r.pop("timings")
    return out


# -- a model computed by hand ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def hand() -> dict:
    return play(HAND, cases=300)["runs"]["base"]["figures"]


def _days_with(lo: int, hi: int, t: int, arrivals: range = range(30)) -> int:
    """Arrival days d with d + lo <= t < d + hi: 10 cases each."""
    return 10 * sum(1 for d in arrivals if d + lo <= t < d + hi)


def test_hand_model_totals(hand):
    # 10 cases a day for 30 days, all played to their last step
    assert hand["cases"] == 300
    assert hand["events"] \
        == {"save_application": 300, "record_case_assessment": 300, "set_application_status": 300}
    assert hand["refusals"] == [] and hand["nightly"] == {}
    k = hand["final_status"]["Incomplete"]
    assert hand["final_status"] == {"Incomplete": k, "W'drawn-Other": 300 - k}
    assert 45 <= k <= 105  # 300 draws at 25%: within four standard deviations (7.5) of 75
    assert hand["letters"] == [{"code": "COA6A-1", "to": ["applicant"], "count": 300 - k},
                               {"code": "COA7-1", "to": ["applicant"], "count": k}]
    assert sum(hand["letters_weekly"]["COA7-1"]) == k
    # saved at 09:00, finalised 4 days later at 09:00: 96 hours each
    assert hand["cycle_times"]["saved to finalised"] == {"count": 300, "mean_days": 4.0,
                                                         "p50_days": 4.0,
                                                         "p90_days": 4.0, "max_days": 4.0,
                                                         "histogram_days": {"4": 300}}


def test_hand_model_daily_figures(hand):
    daily = hand["daily"]
    # the last cases arrive on day 29 and are finalised on day 33
    assert daily["dates"] == [(date(2026, 3, 2) + timedelta(days=t)).isoformat() for t in range(34)]
    days = range(34)
    assert daily["status"]["None"] == [_days_with(0, 4, t) for t in days]
    finished = [daily["status"]["Incomplete"][t] + daily["status"]["W'drawn-Other"][t]
                for t in days]
    assert finished == [_days_with(4, 10_000, t) for t in days]
    assert daily["status"]["New"] == [0] * 34  # saved at the moment they arrive
    trays = daily["intrays"]
    # COAASREQ: opened on arrival, due 48h later, closed by the assessment on day 3: overdue on day
    # 2 only
    assert trays["COAASREQ"]["open"] == [_days_with(0, 3, t) for t in days]
    assert trays["COAASREQ"]["overdue"] == [_days_with(2, 3, t) for t in days]
    # COAWTSCO: due 48h after the save, never allocated, closed by the finalisation on day 4
    assert trays["COAWTSCO"]["overdue"] == [_days_with(2, 4, t) for t in days]
    # COAINPRO: due 35 days after the save, closed on day 4: never overdue
    assert trays["COAINPRO"]["open"] == [_days_with(0, 4, t) for t in days]
    assert trays["COAINPRO"]["overdue"] == [0] * 34
    # COAINCON: opened by the assessment on day 3, closed on day 4
    assert trays["COAINCON"]["opened"] == [10 if 3 <= t <= 32 else 0 for t in days]
    assert trays["COAINCON"]["open"] == [_days_with(3, 4, t) for t in days]
    assert hand["intrays"]["COAWTSCO"] == {"opened": 300, "closed": 300, "open_at_end": 0,
                                           "overdue_at_end": 0,
                                           "overdue_peak": 20, "overdue_days": 300 * 2}


def test_hand_model_summary_text():
    result = run("forecast", str(HAND), "--cases", "300", "--workflows", str(WORKFLOWS))
    assert result.exit_code == 0, result.output
    assert "300 cases, 900 events accepted, 0 refusals; 1 partition(s)" in result.output
    assert re.search(r"COAWTSCO\s+300\s+300\s+0\s+0\s+20", result.output)
    assert re.search(r"saved to finalised\s+300\s+4\.00\s+4\.00\s+4\.00", result.output)


def test_percentile_is_nearest_rank():
    from collections import Counter

    hist = Counter({1: 5, 2: 4, 10: 1})
    assert percentile(hist, 50) == 1 and percentile(hist, 90) == 2 and percentile(hist, 91) == 10
    assert percentile(hist, 100) == 10 and percentile(Counter({3: 1}), 1) == 3


# -- determinism
# ------------------------------------------------------------------------------------
def test_same_seed_same_figures_whatever_the_workers():
    one = play(COA_MODEL, cases=600, workers=1, partition_cases=150)
    two = play(COA_MODEL, cases=600, workers=2, partition_cases=150)
    assert one["runs"]["base"]["partitions"] == 4
    assert without_timings(one) == without_timings(two)
    other_seed = play(COA_MODEL, cases=600, workers=1, partition_cases=150, seed=1)
    assert without_timings(other_seed)["runs"]["base"]["figures"] \
        != without_timings(one)["runs"]["base"]["figures"]


def test_partitions_are_consecutive_windows_of_arrivals():
    """A number of cases is cut into runs of consecutive arrivals at the model's full rate, each
    partition from the day its first case is expected; a period into spans of it with equal
    expected arrivals, played to its end. The hand model's 10 cases a day make the windows exact."""
    from engine.forecast.run import make_plan, play_partition

    plan = make_plan(HAND, WORKFLOWS, cases=600, partition_cases=150)
    assert [(p.start, p.cases) for p in plan.partitions] \
        == [(date(2026, 3, 2) + timedelta(days=15 * i), 150) for i in range(4)]
    arrived = []
    for part in plan.partitions:
        figures = play_partition(plan.model, plan.sources, part)
        figures.pack()
        days, counts = figures.opened.rows["COAASREQ"]  # opened by the save, on arrival
        arrived.append({int(d): int(c) for d, c in zip(days, counts, strict=True)})
    assert arrived == [{d: 10 for d in range(15 * i, 15 * i + 15)} for i in range(4)]

    period = make_plan(HAND, WORKFLOWS, partition_cases=100).partitions  # 300 expected: 3 spans
    assert [(p.start.day, p.until.day, p.end.day, p.cases) for p in period] \
        == [(2, 11, 31, None), (12, 21, 31, None), (22, 31, 31, None)]
    whole = play(HAND)["runs"]["base"]["figures"]
    assert whole["cases"] == 300 and whole["daily"]["dates"][-1] == "2026-03-31"


def test_a_number_of_cases_at_no_rate_arrives_nowhere(tmp_path: Path):
    """A model whose rate is 0 asked for a number of cases: none arrives (within the 100 years a
    number of cases may take), and the figures hold no day, as before partitions were windows (the
    windows after the first then started at the calendar's end, and the days ran to it)."""
    model = tmp_path / "none.yaml"
    model.write_text(HAND.read_text().replace("per_day: 10", "per_day: 0"))
    figures = play(model, cases=5000)["runs"]["base"]["figures"]
    assert figures["cases"] == 0 and figures["daily"]["dates"] == []


def test_dask_local_cluster_gives_the_local_figures():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is in the test extra")
    local = play(COA_MODEL, cases=300, workers=1, partition_cases=100)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cl:
        on_dask = play(COA_MODEL, cases=300, partition_cases=100, dask=cl.scheduler_address)
    assert without_timings(local) == without_timings(on_dask)


def test_overnight_after_events_matches_every_night():
    """The player offers the overnight run to the cases that had an event since the last run; played
    on every case every night, as Engine.advance does, the COA model gives the same figures."""
    text = COA_MODEL.read_text()
    assert "overnight:" not in text
    every = COA_MODEL.parent / "coa-every-night.tmp.yaml"
    every.write_text(text.replace("steps:\n", "overnight: every_night\nsteps:\n", 1))
    try:
        a = play(COA_MODEL, cases=250)["runs"]["base"]
        b = play(every, cases=250)["runs"]["base"]
    finally:
        every.unlink()
    assert a["figures"]["nightly"]["generate_sco_report"] > 0
    assert a["figures"] == b["figures"]


TWICE = """workflow: twice
title: Two overnight runs
source: test
initial: New
fields:
  a: {type: integer, source: test}
  b: {type: integer, source: test}
statuses:
  New: {source: test}
  Open: {source: test}
  Done: {final: true, source: test}
events:
  open:
    title: Open it
    source: test
    transitions:
      - {from: New, to: Open, source: test, effects: [{set: {a: 0, b: 0}}]}
  poke:
    title: Poke it
    source: test
    transitions:
      - {from: Open, source: test}
  close:
    title: Close it
    source: test
    transitions:
      - {from: Open, to: Done, source: test}
""" + "".join("""  night_@:
    title: Run @
    source: test
    guards:
      - {check: "actor.role == 'system' and field.@ < 2", says: done}
    transitions:
      - {from: Open, source: test, effects: [{set: {@: field.@ + 1}}]}
""".replace("@", x) for x in "ab") + """schedules:
  run_a: {event: night_a, at: "00:00", source: test}
  run_b: {event: night_b, at: "01:00", source: test}
"""


@pytest.mark.parametrize("overnight", ["after_events", "every_night"])
def test_a_case_is_offered_every_schedules_next_run_after_its_events(tmp_path: Path, overnight):
    """Two schedules a night: after its events a case is offered the next run of each (the first
    run of the night does not take it from the second), as when every case is offered every
    night. Each run raises its field while it is under 2: after the opening, and after the poke 3
    days later (the run ends with the last step: the last day's 2 cases miss the night after it)."""
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "twice.yaml").write_text(TWICE)
    model = tmp_path / "twice.yaml"
    model.write_text("model: two runs a night\nworkflow: twice\n"
                     "period: {from: 2026-03-02, to: 2026-03-31}\n"
                     f"overnight: {overnight}\n"
                     'arrivals: {per_day: 2, random: none, at: "09:00"}\n'
                     "steps:\n  - event: open\n  - {event: poke, after: 3d}\n")
    figures = play(model, cases=40, workflows_dir=tmp_path / "workflows")["runs"]["base"]["figures"]
    runs = 78 if overnight == "after_events" else 80
    assert figures["nightly"] == {"night_a": runs, "night_b": runs}


# -- the shipped model
# ------------------------------------------------------------------------------
def test_the_coa_model_plays_every_step_on_the_current_workflows():
    result = play(COA_MODEL, cases=400)["runs"]["base"]["figures"]
    played = set(result["events"])
    import yaml

    steps = yaml.safe_load(COA_MODEL.read_text())["steps"]
    wanted = {s.get("event") for s in steps} \
        | {c["event"] for s in steps for c in s.get("choose", [])}
    assert wanted - {None} <= played, wanted - played
    assert not [r for r in result["refusals"] if r["says"].startswith("ambiguous")]
    assert sum(r["count"] for r in result["refusals"]) <= 0.02 * sum(result["events"].values())
    assert result["final_status"] and "New" not in result["final_status"]


# -- --compare: common random numbers
# ---------------------------------------------------------------
@pytest.fixture
def shorter(tmp_path: Path) -> Path:
    """The workflows with COAINPRO due in 28 days instead of 35, and the COA model beside them."""
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    coa = folder / "coa.yaml"
    text = coa.read_text()
    assert "    due: 35d\n" in text
    coa.write_text(text.replace("    due: 35d\n", "    due: 28d\n", 1))
    return coa


def test_compare_runs_both_versions_on_the_same_draws(shorter: Path):
    result = play(COA_MODEL, cases=400, compare=str(shorter))
    base, other = (result["runs"][k]["figures"] for k in ("base", "other"))
    # the same cases, the same events, the same outcomes: only the due date of COAINPRO differs
    for key in ("cases", "events", "final_status", "letters", "cycle_times", "refusals"):
        assert base[key] == other[key], key
    assert base["daily"]["intrays"]["COAINPRO"]["open"] \
        == other["daily"]["intrays"]["COAINPRO"]["open"]
    assert other["intrays"]["COAINPRO"]["overdue_peak"] \
        > base["intrays"]["COAINPRO"]["overdue_peak"]
    rows = {r["figure"]: r for r in result["comparison"]}
    peak = rows["COAINPRO overdue peak"]
    assert peak["difference"] == peak["other"] - peak["base"] > 0
    assert rows["cases"]["difference"] == 0
    assert "COAINPRO" in result["changes_text"] and "28" in result["changes_text"]


def test_compare_with_itself_differs_nowhere():
    result = play(COA_MODEL, cases=200, compare=str(WORKFLOWS / "coa.yaml"))
    assert all(r["difference"] == 0 for r in result["comparison"])


def test_compare_cli_writes_a_report(shorter: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run("forecast", str(COA_MODEL), "--cases", "200", "--compare", str(shorter), "-o",
                 str(out))
    assert result.exit_code == 0, result.output
    assert "difference" in result.output and "COAINPRO" in result.output
    html = (out / "report.html").read_text()
    assert "Content-Security-Policy" in html and "data:image/png;base64," in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing fetched
    assert (out / "backlog.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "comparison.csv").read_text().startswith("figure,base,other,difference\n")
    assert (out / "changed.png").exists()  # COAINPRO's overdue line differs
    doc = json.loads((out / "figures.json").read_text())
    assert set(doc["runs"]) == {"base", "other"}


def test_json_output(tmp_path: Path):
    result = run("forecast", str(HAND), "--cases", "20", "--workflows", str(WORKFLOWS), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["runs"]["base"]["figures"]["cases"] == 20


# -- bad models
# -------------------------------------------------------------------------------------
BASE = """model: bad
workflow: coa
period: {from: 2026-03-02, to: 2026-03-31}
arrivals: {per_day: 10}
steps:
"""


def findings(steps: str) -> list[str]:
    with pytest.raises(DefinitionError) as exc:
        load_model_text(BASE + steps, "bad.yaml", WORKFLOWS)
    return [f.render() for f in exc.value.findings]


def test_unknown_event_is_positioned():
    assert findings("  - event: save_aplication\n") == [
        "bad.yaml:6:12: error: the workflow coa has no event 'save_aplication' (did you mean "
        "'save_application'?)"]


def test_data_of_the_wrong_type_is_positioned():
    found = findings("  - event: record_case_assessment\n    data: {case_assessment: Hard}\n")
    assert len(found) == 1 and found[0].startswith("bad.yaml:7:29: error: ") and "Hard" in found[0]
    found = findings("  - event: save_application\n"
                     "    data: {applicant: payee, lodgement_date: {share: {x: 1}}}\n")
    assert found and found[0].startswith("bad.yaml:7:")


def test_shares_must_add_up_to_one():
    found = findings("  - event: save_application\n"
                     "    data: {applicant: {share: {payee: 0.5, payer: 0.4}}}\n")
    assert found == ["bad.yaml:7:31: error: the shares add up to 0.9, not 1"]
    found = findings("  - choose:\n      - {share: 0.5, event: save_application}\n")
    assert found == ["bad.yaml:7:7: error: the shares of the choices add up to 0.5, not 1"]


def test_negative_delay_is_positioned():
    found = findings("  - event: save_application\n    after: -2d\n")
    assert found \
        == ["bad.yaml:7:12: error: a time cannot be negative (-2d) (give a number of days "
            "of 0 or more)"]
    found = findings("  - event: save_application\n    after: {uniform: [-1, 3]}\n")
    assert found \
        == ["bad.yaml:7:23: error: a time cannot be negative (-1) (give a number of days "
            "of 0 or more)"]
    found = findings("  - event: save_application\n"
                     "    data: {lodgement_date: {days_before: {exponential: -3}}}\n")
    assert found \
        == ["bad.yaml:7:56: error: a time cannot be negative (-3) (give a number of days "
            "of 0 or more)"]


def test_bad_model_through_the_cli_is_findings_not_a_traceback(tmp_path: Path):
    bad = tmp_path / "models" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text(BASE
                   + "  - event: save_application\n    data: {applicant: {share: {payee: 2}}}\n")
    for args in (["check", str(bad)], ["forecast", str(bad), "--workflows", str(WORKFLOWS)]):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "bad.yaml:7:" in result.output


def test_check_checks_the_shipped_model():
    result = run("check", "--strict", str(COA_MODEL))
    assert result.exit_code == 0, result.output


def test_forecast_without_its_extra_says_how_to_install(monkeypatch):
    import engine.forecast.command as command

    monkeypatch.setattr(command, "missing_modules", lambda dask=False: ["numpy"])
    result = run("forecast", str(HAND))
    assert result.exit_code == 2 and "pip install 'procflow[forecast]'" in result.output


def test_compare_with_a_git_revision():
    """--compare REV plays the model's workflow file as it is at a git revision (as `procflow diff`
    reads it)."""
    from engine.spec.history import load_at

    result = play(HAND, cases=40, compare="HEAD")
    other = result["runs"]["other"]
    assert other["version"] == load_at(WORKFLOWS / "coa.yaml", "HEAD").version
    assert other["figures"]["cases"] == 40


def test_compare_with_an_unknown_revision_is_a_usage_error():
    result = run("forecast", str(HAND), "--cases", "5", "--workflows", str(WORKFLOWS), "--compare",
                 "no-such-rev")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_bench_plays_the_model():
    """bench/forecast.py (make bench) plays models/coa.yaml through the forecast's own run."""
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_forecast",
                                                      ROOT / "bench" / "forecast.py")
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    r = bench.play(100, 1)
    assert r["cases"] == 100 and r["events"] >= 500 and r["refusals"] == 0


# -- what staff do when an event is refused
# ----------------------------------------------------------
RETRY = """model: retries
workflow: coa
period: {from: 2026-03-02, to: 2026-03-31}
arrivals: {per_day: 5, random: none, at: "09:00"}
steps:
  - event: save_application
    data: {applicant: payee}
  - event: allocate_decision_maker      # nobody has an SCO record: refused every time
    after: 1d
    data: {coa_site: Hobart, officer: Nobody, officer_level: SCO}
    on_refused: {retry_after: 2d, retries: 2, then: THEN, instead: {event: add_note, data: {text: no officer}}}
  - event: record_case_assessment
    after: 1d
    data: {case_assessment: Simple}
"""  # noqa: E501


@pytest.mark.parametrize("then", ["skip", "stop"])
def test_a_refused_event_is_retried_then_replaced_and_counted(tmp_path: Path, then: str):
    model = tmp_path / "retry.yaml"
    model.write_text(RETRY.replace("THEN", then))
    figures = play(model, cases=10)["runs"]["base"]["figures"]
    refused = {r["event"]: r["count"] for r in figures["refusals"]}
    # the first try and two retries, for each case
    assert refused == {"allocate_decision_maker": 30}
    assert figures["events"]["add_note"] == 10
    assert figures["events"].get("record_case_assessment", 0) == (10 if then == "skip" else 0)
    # three tries two days apart, the note, then (skip) the assessment a day later
    days = len(figures["daily"]["dates"])
    assert days == (2 + 1 + 4 + 1 if then == "skip" else 2 + 1 + 4)


# -- waits past the calendar's end -----------------------------------------------------------
# the retries model's arrivals and save, then a wait of ~7000 days, a quarter past 9999-12-31
FAR = RETRY.split("  - event: allocate_decision_maker")[0] + """  - event: record_case_assessment
    after: {lognormal: {median: 7000d, sigma: 10}}
    data: {case_assessment: Simple}
"""


def test_a_wait_past_the_calendars_end_never_comes(tmp_path: Path):
    model = tmp_path / "far.yaml"
    model.write_text(FAR)
    figures = play(model, cases=200)["runs"]["base"]["figures"]
    assert figures["events"]["save_application"] == 200
    # about a quarter of the waits take the case past 9999-12-31: its step is never played
    assert 0 < figures["events"]["record_case_assessment"] < 200
    assert not figures["refusals"]


def test_waits_are_exactly_the_timedeltas_of_their_days():
    import numpy as np

    from engine.forecast.draw import NEVER_DAYS, waits

    rng = np.random.default_rng(5)
    us = 1 / 86_400_000_000
    days = np.concatenate([rng.lognormal(np.log(6), 0.6, 20_000), rng.uniform(0, 40, 20_000),
                           rng.exponential(7000, 2_000), np.arange(0, 2_000) * us / 2,
                           [0.0, 0.5 * us, 1.5 * us, 2.5 * us, 3999999.5, NEVER_DAYS, 1e30,
                            np.inf]])
    for d, wait in zip(days.tolist(), waits(days), strict=True):
        if d >= NEVER_DAYS:
            assert wait is None
        else:
            assert wait == timedelta(days=d), d


def test_poisson_arrivals_keep_the_models_rates_hours_and_order():
    import numpy as np

    from engine.forecast.draw import arrival_moments
    from engine.forecast.model import load_model

    model = load_model(COA_MODEL, WORKFLOWS)
    a = model.arrivals
    start, end = date(2026, 1, 1), date(2027, 12, 31)

    def draw(seed: int, cases: int | None = None) -> list:
        return arrival_moments(model, np.random.default_rng(seed), 0.5, start, end, cases)

    moments = draw(1)
    assert moments == sorted(moments) and moments == draw(1)
    assert all(a.hours[0] <= m.hour * 60 + m.minute < a.hours[1] for m in moments)
    assert start <= moments[0].date() and moments[-1].date() <= end
    # half the model's rate over two years: within 4 standard deviations of a Poisson count
    expected = 0.5 * model.expected_cases(start, end)
    assert abs(len(moments) - expected) < 4 * expected ** 0.5
    weekend = [m for m in moments if m.weekday() >= 5]
    assert not weekend  # the model gives no rate on Saturdays and Sundays
    # a number of cases: exactly that many, the first of the same draws
    assert draw(1, 1234) == moments[:1234]


def test_a_steps_play_for_each_case_is_its_draw_spread_over_the_choices():
    """play.picks decides every case's play of a step at once: the same choice as spreading each
    draw over the shares one by one (the step's share first), boundaries included."""
    import numpy as np

    from engine.forecast.model import Delay, Play, Step
    from engine.forecast.play import picks

    def one_by_one(step: Step, u: float):
        if u >= step.share:
            return None
        u /= step.share
        total = 0.0
        for play in step.plays:
            total += play.share
            if u < total:
                return play
        return step.plays[-1]

    rng = np.random.default_rng(5)
    for share, shares in [(1.0, (0.1, 0.2, 0.3, 0.4)), (0.3, (1.0,)), (0.75, (0.7, 0.2, 0.1)),
                          (1.0, (0.5, 0.0, 0.5))]:
        step = Step(tuple(Play(f"e{i}", share=s) for i, s in enumerate(shares)),
                    Delay("fixed", (0.0,)), share=share, pick_slot=0)
        edges = [share, share * 0.1, share * 0.3, share * 0.7, np.nextafter(share, 0), 0.0]
        draws = [*rng.random(5000).tolist(), *edges]
        assert picks(step, [draws], len(draws)) == [one_by_one(step, u) for u in draws]
