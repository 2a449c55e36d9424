"""Rules that span instances stay right whatever order events on different instances come in.

Random interleavings of events on several COA applications (and SCO records) are fired through
the engine; after every step the ticks, the allocation checks and the searches are compared with
a direct computation written here from the readings (R6, R30, R32, R45), not from the workflow:

- cross-application ticks (COA Table 1 Steps 3, 4): from the list of accepted saves and which
  applications were current (None or App to Proceed, R45) at each save;
- an allocation is accepted exactly when a record at the site, not deleted, with that name has a
  contract covering the day (R30), and the SCO searches and the possible refusals list what the
  records and applications say (R29, R30, R32).

A refused event, or a night whose scheduled run has nothing to do, changes nothing on any instance.
How users meet the queries (`procflow check`, `procflow query`) is tested in test_sco_queries.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Ambiguous, Refused, load_workflow
from engine.clock import SimulatedClock
from engine.runtime import Engine

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 9, 0)
CURRENT = ("None", "App to Proceed")  # R45: current and not finalised
TICKS = ("cross_application", "cross_application_exists", "cross_application_lodgement_date",
         "for_applicant", "for_respondent")
APPS = ("a0", "a1", "a2", "a3", "a4", "a5")
SUITS = {"save": ("New",), "status": ("None",), "finalise": ("App to Proceed",),
         "decide": ("Referred for Amendment",),
         "refer": ("W'drawn-Other", "Var-Decrease", "Refusal-Before")}
CASES = ("C1", "C2", "C3")
PEOPLE = ("P1", "P2", "P3", "P4")
COA_KINDS = ["save"] * 4 + ["status"] * 2 + ["finalise", "refer", "decide"] + ["advance"] * 2
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workflows():
    return [load_workflow(ROOT / "workflows" / f"{name}.yaml") for name in ("coa", "sco", "cma")]


def snapshot(engine: Engine) -> dict:
    return {name: engine.state(inst) for name, inst in engine.instances.items()}


# ---------------------------------------------------------------------------------------------
# Cross-application ticks (COA Table 1 Steps 3, 4; R6, R45)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Save:
    name: str
    case: str | None
    applicant: str
    respondent: str
    applicant_id: str | None
    respondent_id: str | None
    lodgement: date
    # the applications current (None or App to Proceed) just before this save
    current: frozenset[str]


def expected_ticks(saves: list[Save]) -> dict[str, dict]:
    """The five fields of every saved application, computed directly from the readings.

    - This is a cross-application: the other parent (the respondent) had a current application
      on the same case when this one was saved.
    - Cross-Application exists / its lodgement date: while this one was current, the respondent
      saved an application on the same case (the latest such one's Lodgement Date).
    - for Applicant / for Respondent: that person is a party (applicant or respondent) to an
      application on another case, the two being current together at the later one's save.
    Ticks are never unticked (R6: left as they are).
    """
    out = {}
    for k, y in enumerate(saves):
        before = [x for x in saves[:k] if x.name in y.current]
        after = [x for x in saves[k + 1:] if y.name in x.current]
        same_case = y.case is not None
        replies = [x for x in after if same_case and x.case == y.case
                   and x.applicant == y.respondent]

        def elsewhere(person: str | None, y: Save = y,
                      together: list[Save] = before + after) -> bool:
            return person is not None and any(x.case != y.case
                                              and person in (x.applicant_id, x.respondent_id)
                                              for x in together)

        out[y.name] = {
            "cross_application": same_case and any(x.case == y.case and x.applicant == y.respondent
                                                   for x in before),
            "cross_application_exists": bool(replies),
            "cross_application_lodgement_date": replies[-1].lodgement if replies else None,
            "for_applicant": elsewhere(y.applicant_id),
            "for_respondent": elsewhere(y.respondent_id),
        }
    return out


def save_should_pass(status: str, data: dict, today: date, saved: dict[str, dict]) -> bool:
    """The save guards as the text and R6/R23 state them, over the applications saved so far."""
    payee, payer, case = data.get("payee_id"), data.get("payer_id"), data.get("case_number")
    if status != "New" or date.fromisoformat(data["lodgement_date"]) > today:
        return False
    if (payee is None) != (payer is None):
        return False
    if payee is None:
        return True
    if case is None or payee == payer:
        return False
    return all((a["payee_id"] in (None, payee)) and (a["payer_id"] in (None, payer))
               for a in saved.values() if a["case"] == case)


@st.composite
def parents_of_cases(draw) -> dict[str, tuple[str, str]]:
    pairs = [(a, b) for a in PEOPLE for b in PEOPLE if a != b]
    return {case: draw(st.sampled_from(pairs)) for case in CASES}


def draw_suited(draw, suited: list[str], every: tuple[str, ...], label: str) -> str:
    """Mostly an instance the event suits (a new one to save, a saved one to decide), sometimes
    any of them, so that the event is also seen refused."""
    return draw.draw(st.sampled_from(suited if suited
                                     and draw.draw(st.integers(0, 3), label="suited")
                                     else every), label=label)


def fire(engine: Engine, name: str, event: str, data: dict) -> bool:
    """Whether the engine accepts the event; a refused event changes nothing on any instance."""
    before = snapshot(engine)
    try:
        engine.fire(engine.instances[name], event, data)
    except (Refused, Ambiguous):
        assert snapshot(engine) == before, f"refused {event} on {name} changed something"
        return False
    return True


def draw_save(draw, today: date, parents: dict[str, tuple[str, str]]) -> dict:
    """A save on a case or none, with the case's parents, other people, or only a payee."""
    case = draw.draw(st.sampled_from([*CASES, *CASES, None]), label="case")
    ids = draw.draw(st.sampled_from(["case", "case", "case", "case", "none", "random",
                                     "payee only"]),
                    label="ids")
    applicant = draw.draw(st.sampled_from(["payee", "payer"]), label="applicant")
    back = draw.draw(st.sampled_from([0, 0, 1, 3, 9, -1]), label="days before today")
    data = {"applicant": applicant, "lodgement_date": (today - timedelta(days=back)).isoformat(),
            "reasons": draw.draw(st.sampled_from([[], [{"reason": 2}]]), label="reasons")}
    if case is not None:
        data["case_number"] = case
    if ids == "case" and case is not None:
        data["payee_id"], data["payer_id"] = parents[case]
    elif ids == "random":
        data["payee_id"] = draw.draw(st.sampled_from(PEOPLE), label="payee")
        data["payer_id"] = draw.draw(st.sampled_from(PEOPLE), label="payer")
    elif ids == "payee only":
        data["payee_id"] = draw.draw(st.sampled_from(PEOPLE), label="payee")
    return data


def draw_coa_event(draw, kind: str, today: date,
                   parents: dict[str, tuple[str, str]]) -> tuple[str, dict]:
    """The event of this kind and its data, complete or not."""
    if kind == "save":
        return "save_application", draw_save(draw, today, parents)
    if kind == "status":
        data = {"application_status": draw.draw(st.sampled_from(
            ["App to Proceed", "App to Proceed", "Incomplete", "Inel-Other", "Poss Refusal",
             "W'drawn-Other"]), label="status")}
        if data["application_status"] == "Incomplete" \
            and draw.draw(st.booleans(), label="with reasons"):
            data["incomplete_reasons"] = ["Other"]
        return "set_application_status", data
    if kind == "finalise":
        outcome = draw.draw(st.sampled_from(["W'drawn-Other", "Var-Decrease", "Refusal-Before"]),
                            label="outcome")
        data = {"outcome": outcome}
        if draw.draw(st.integers(0, 3), label="complete"):  # mostly complete, so that some finalise
            data.update(ntd_return_date=today.isoformat(), parental_agreement="SCO decision",
                        outcome_reason="Other")
        return "finalise", data
    if kind == "refer":
        return "refer_for_amendment", {"decision_maker": "J Citizen"}
    return "decide_amendment", {"decision": "No Amend No Chg"}


@dataclass
class Applications:
    """The six applications as the test expects them: statuses, and the saves accepted so far."""

    status: dict[str, str] = field(default_factory=lambda: dict.fromkeys(APPS, "New"))
    original: dict[str, str] = field(default_factory=dict)  # outcome before a referral (R14)
    saves: list[Save] = field(default_factory=list)
    saved: dict[str, dict] = field(default_factory=dict)

    def current(self) -> frozenset[str]:
        return frozenset(n for n, s in self.status.items() if s in CURRENT)

    def accept(self, name: str, event: str, data: dict, current: frozenset[str]) -> None:
        """Only this application's status moves, to the status the text gives; a save is kept
        with the applications current just before it."""
        if event == "save_application":
            payee, payer = data.get("payee_id"), data.get("payer_id")
            respondent = "payer" if data["applicant"] == "payee" else "payee"
            self.saves.append(Save(name, data.get("case_number"), data["applicant"], respondent,
                                   payee if data["applicant"] == "payee" else payer,
                                   payer if data["applicant"] == "payee" else payee,
                                   date.fromisoformat(data["lodgement_date"]), current))
            self.saved[name] = {"case": data.get("case_number"), "payee_id": payee,
                                "payer_id": payer}
            self.status[name] = "None"
        elif event == "set_application_status":
            self.status[name] = data["application_status"]
        elif event == "finalise":
            self.status[name] = data["outcome"]
        elif event == "refer_for_amendment":
            self.original[name] = self.status[name]
            self.status[name] = "Referred for Amendment"
        else:
            self.status[name] = self.original[name]


def check_numbers_and_ticks(engine: Engine, saves: list[Save], seen: dict, step: str) -> None:
    """R51: numbered in the order of the accepted saves, refused saves taking no number; the
    ticks of every application equal to the direct computation."""
    assert [engine.instances[s.name].fields["application_number"] for s in saves] == \
        list(range(1, len(saves) + 1))
    expected = expected_ticks(saves)
    for app in APPS:
        fields = engine.instances[app].fields
        actual = {t: fields.get(t) for t in TICKS}
        want = expected.get(app, dict.fromkeys(TICKS))
        assert actual == want, f"{app} after {step}: {actual} != {want}"
        for t in TICKS:
            seen[t] += bool(want[t])


def test_cross_application_ticks_under_interleaving(workflows):
    seen = {"saves": 0, "refused": 0, "other_events": 0, **{t: 0 for t in TICKS}}

    @SETTINGS
    @given(st.data(), parents_of_cases())
    def run(draw, parents):
        clock = SimulatedClock(START)
        engine = Engine(workflows, clock=clock)
        for name in APPS:
            engine.create("coa", name)
        expect = Applications()
        for _ in range(draw.draw(st.integers(4, 40), label="steps")):
            today = clock().date()
            # mostly a kind of event some application is in a status for, so that walks reach
            # the finalisations and the referrals for amendment (R14)
            able = [k for k in COA_KINDS
                    if k == "advance" or any(s in SUITS[k] for s in expect.status.values())]
            kind = draw.draw(st.sampled_from(able if draw.draw(st.integers(0, 3), label="able")
                                             else COA_KINDS), label="kind")
            if kind == "advance":
                before = snapshot(engine)
                hours = draw.draw(st.sampled_from([1, 15, 24, 48]), label="hours")
                engine.advance(clock() + timedelta(hours=hours))
                assert snapshot(engine) == before  # the overnight run had nothing requested
                continue
            suited = [n for n in APPS if expect.status[n] in SUITS[kind]]
            name = draw_suited(draw, suited, APPS, "application")
            event, data = draw_coa_event(draw, kind, today, parents)
            current = expect.current()
            save = event == "save_application"
            should_pass = save and save_should_pass(expect.status[name], data, today, expect.saved)
            if not fire(engine, name, event, data):
                seen["refused"] += 1
                assert not should_pass, (name, data)
                continue
            if save:
                assert should_pass, (name, data)
            seen["saves" if save else "other_events"] += 1
            seen[event] = seen.get(event, 0) + 1
            expect.accept(name, event, data, current)
            assert {n: i.status for n, i in engine.instances.items()} == expect.status
            check_numbers_and_ticks(engine, expect.saves, seen, f"{event} on {name}")

    run()
    # the comparison is only worth something if every tick was really set, and refusals happened
    assert all(seen[t] > 10 for t in TICKS), seen
    # and walks reached the finalisations and the referrals for amendment, which end and restore
    # an application's being current (R14, R45)
    assert min(seen.get(e, 0) for e in ("finalise", "refer_for_amendment",
                                         "decide_amendment")) > 5, seen
    assert seen["refused"] > 50 and seen["saves"] > 100 and seen["other_events"] > 30, seen


def test_the_direct_computation_on_a_worked_example():
    """The property's oracle itself, on applications whose ticks are worked out by hand from
    R6/R45."""
    d = date(2026, 3, 1)
    first = Save("a0", "C1", "payee", "payer", "P1", "P2", d, frozenset())
    reply = Save("a1", "C1", "payer", "payee", "P2", "P1", d + timedelta(days=1), frozenset({"a0"}))
    same_side = Save("a2", "C1", "payee", "payer", "P1", "P2", d, frozenset({"a0", "a1"}))
    elsewhere = Save("a3", "C2", "payer", "payee", "P3", "P2", d, frozenset({"a0", "a1", "a2"}))
    got = expected_ticks([first, reply, same_side, elsewhere])
    assert got["a0"]["cross_application_exists"] \
        and got["a0"]["cross_application_lodgement_date"] == d + timedelta(1)
    assert not got["a0"]["cross_application"] and got["a1"]["cross_application"]
    assert got["a2"]["cross_application"]  # the payer's a1 is current
    assert got["a1"]["cross_application_exists"] \
        and got["a1"]["cross_application_lodgement_date"] == d
    assert got["a0"]["for_respondent"] and not got["a0"]["for_applicant"]  # P2 is party to a3 on C2
    assert got["a3"]["for_respondent"] and not got["a3"]["for_applicant"]
    # nothing current then
    finalised = Save("a3", "C2", "payer", "payee", "P3", "P2", d, frozenset())
    got = expected_ticks([first, finalised])
    assert not got["a0"]["for_respondent"] and not got["a3"]["for_respondent"]


# ---------------------------------------------------------------------------------------------
# SCO records, allocation and the searches (COA Table 1 Step 7, Tables 6-10; R29, R30, R32)
# ---------------------------------------------------------------------------------------------
RECORDS = ("s0", "s1", "s2", "s3")
SCO_APPS = ("x0", "x1", "x2")
SITES = ("Brisbane", "Perth")
NAMES = ("Ann Able", "Bob Baker")


def covers(record: dict, day: date) -> bool:
    return record["start"] <= day and (record["end"] is None or record["end"] >= day)


SCO_KINDS = ["create", "create", "update", "delete", "save", "save", "allocate", "allocate",
             "poss refusal", "poss refusal", "report", "report", "advance"]


@dataclass
class Step:
    """An event drawn for the SCO test, and whether the readings accept it."""

    target: str
    event: str
    data: dict
    ok: bool
    new: dict | None = None  # the record after an accepted create or update


@dataclass
class Sco:
    """The SCO records and the applications as the test expects them."""

    records: dict[str, dict] = field(default_factory=dict)  # saved, not deleted SCO records
    deleted: set[str] = field(default_factory=set)
    apps: dict[str, dict] = field(default_factory=lambda: {
        n: {"status": "New", "site": None, "number": None, "requested": False, "report": False}
        for n in SCO_APPS})
    numbers: int = 0

    def holder(self, site: str, name: str) -> str | None:
        """The record at the site with that name (R30: at most one)."""
        return next((r for r, v in self.records.items() if v["site"] == site and v["name"] == name),
                    None)

    def accept(self, kind: str, step: Step) -> None:
        """What an accepted event changes."""
        target = step.target
        if kind in ("create", "update"):
            self.records[target] = step.new
        elif kind == "delete":
            del self.records[target]
            self.deleted.add(target)
        elif kind == "save":
            self.numbers += 1
            self.apps[target].update(status="None", number=self.numbers,
                                     site=step.data.get("coa_site"))
        elif kind == "allocate":
            self.apps[target]["site"] = step.data["coa_site"]
        else:
            self.apps[target]["status"] = "Poss Refusal"


def draw_record_event(draw, kind: str, engine: Engine, sco: Sco, today: date, site: str,
                      person: str) -> Step:
    """Create, update or delete a record: accepted when the dates are in order, no other record at
    the site has the name (R30), and a deletion is confirmed."""
    suited = [r for r in RECORDS if (engine.instances[r].status == "New") == (kind == "create")]
    target = draw_suited(draw, suited, RECORDS, "record")
    mine = sco.records.get(target)
    if kind == "create":
        start = today \
            + timedelta(days=draw.draw(st.sampled_from([-5, -1, 0, 0, 1, 3]), label="start"))
        length = draw.draw(st.sampled_from([None, None, -1, 0, 1, 6]), label="length")
        end = None if length is None else start + timedelta(days=length)
        data = {"coa_site": site, "name": person, "start_date": start.isoformat()}
        if end is not None:
            data["end_date"] = end.isoformat()
        ok = (engine.instances[target].status == "New" and (end is None or end >= start)
              and sco.holder(site, person) is None)
        return Step(target, "create_record", data, ok, {"site": site, "name": person,
                                                        "start": start,
                                                         "end": end})
    if kind == "update":
        data = {}
        change = draw.draw(st.sampled_from(["end", "clear end", "site", "name"]), label="change")
        new = dict(mine) if mine else {}
        if change == "end":
            end = today + timedelta(days=draw.draw(st.integers(-6, 4), label="end"))
            data["end_date"], new["end"] = end.isoformat(), end
        elif change == "clear end":
            data["clear"], new["end"] = ["end_date"], None
        elif change == "site":
            data["coa_site"], new["site"] = site, site
        else:
            data["name"], new["name"] = person, person
        ok = mine is not None and (new["end"] is None or new["end"] >= new["start"]) and (
            (new["site"], new["name"]) == (mine["site"], mine["name"])
            or sco.holder(new["site"], new["name"]) is None)
        return Step(target, "update_record", data, ok, new)
    answer = draw.draw(st.sampled_from([True, True, False, None]), label="confirmed")
    data = {} if answer is None else {"confirmed": answer}
    return Step(target, "delete_record", data, mine is not None and answer is True)


def draw_application_event(draw, kind: str, sco: Sco, today: date, site: str, person: str) -> Step:
    """Save an application (with an officer or not), allocate it, or make it a possible refusal:
    an officer is accepted when a record at the site with the name covers the day (R30)."""
    wanted = {"save": ("New",), "allocate": ("None",), "poss refusal": ("None",)}[kind]
    suited = [n for n in SCO_APPS if sco.apps[n]["status"] in wanted
              and (kind != "poss refusal" or sco.apps[n]["site"] is not None)]
    target = draw_suited(draw, suited, SCO_APPS, "application")
    app = sco.apps[target]
    if sco.records and draw.draw(st.integers(0, 2), label="an officer on record"):
        officers = sorted((v["site"], v["name"]) for v in sco.records.values())
        site, person = draw.draw(st.sampled_from(officers), label="officer")
    officer = {"coa_site": site, "officer": person, "officer_level": "SCO"}
    held = sco.holder(site, person)
    covered = held is not None and covers(sco.records[held], today)
    if kind == "save":
        with_officer = draw.draw(st.booleans(), label="with officer")
        data = {"applicant": "payee", "case_number": f"9{SCO_APPS.index(target)}",
                **(officer if with_officer else {})}
        return Step(target, "save_application", data,
                    app["status"] == "New" and (covered or not with_officer))
    if kind == "allocate":
        return Step(target, "allocate_decision_maker", officer, app["status"] == "None" and covered)
    return Step(target, "set_application_status", {"application_status": "Poss Refusal"},
                app["status"] == "None")


def advance_overnight(draw, engine: Engine, clock: SimulatedClock, sco: Sco) -> None:
    """R33: the overnight run generates every report requested before it, and does nothing else."""
    before = snapshot(engine)
    days = draw.draw(st.sampled_from([1, 1, 2, 5]), label="days")
    engine.advance(clock() + timedelta(days=days))
    if not any(a["requested"] for a in sco.apps.values()):
        assert snapshot(engine) == before
    for app in sco.apps.values():
        app["report"], app["requested"] = app["report"] or app["requested"], False


def request_report(draw, engine: Engine, sco: Sco) -> None:
    """R34: a report can be requested on any saved application, with a report already or not."""
    apps = sco.apps
    suited = [n for n in SCO_APPS if apps[n]["status"] == "Poss Refusal" and not apps[n]["report"]]
    target = draw_suited(draw, suited, SCO_APPS, "application")
    try:
        engine.fire(engine.instances[target], "request_sco_report", {})
        accepted = True
    except Refused:
        accepted = False
    assert accepted == (apps[target]["status"] != "New")
    apps[target]["requested"] |= accepted


def listed_by(engine: Engine, query: str, criteria: dict) -> list[str]:
    return [f["instance"] for f in engine.search(query, criteria)]


def check_records_and_their_searches(engine: Engine, sco: Sco, today: date) -> None:
    """Each record's status, and the Table 8 searches at each site."""
    records = sco.records
    for r in RECORDS:
        want = "Deleted" if r in sco.deleted else "Active" if r in records else "New"
        assert engine.instances[r].status == want
    for s in SITES:
        at_site = sorted((v["name"], r) for r, v in records.items() if v["site"] == s)
        assert listed_by(engine, "sco_records_at_site", {"coa_site": s}) == \
            [r for _, r in at_site]  # R30: every record at the site, ended ones too
        assert listed_by(engine, "officers_at_site", {"coa_site": s, "on_date": today}) == \
            [r for _, r in at_site if covers(records[r], today)]
        after = today - timedelta(days=1)
        later = sorted((records[r]["end"] is None, records[r]["end"] or after, name, r)
                       for name, r in at_site
                       # R29: blank latest
                       if records[r]["end"] is None or records[r]["end"] > after)
        assert listed_by(engine, "sco_records_with_end_date_after",
                     {"coa_site": s, "end_date_after": after}) == [r for *_, r in later]


def check_report_searches(engine: Engine, sco: Sco, seen: dict) -> None:
    """R32: the possible refusals with a report, by Case Number then Application #, at every site
    and at each; one notion of a report: what one search lists, a Case Number search finds."""
    apps = sco.apps
    poss = sorted((f"9{SCO_APPS.index(a)}", apps[a]["number"], a)
                  for a in SCO_APPS if apps[a]["status"] == "Poss Refusal" and apps[a]["report"])
    listed = listed_by(engine, "possible_refusals", {})
    assert listed == [a for *_, a in poss]
    seen["poss refusal listed"] += len(listed)
    for a in SCO_APPS:
        assert listed_by(engine, "sco_reports_on_case", {"case_number": f"9{SCO_APPS.index(a)}"}) \
            == ([a] if apps[a]["report"] else [])
    for s in SITES:
        listed = listed_by(engine, "possible_refusals", {"coa_site": s})
        assert listed == [a for *_, a in poss if apps[a]["site"] == s]  # R32
        seen["poss refusal listed"] += len(listed)


def test_allocation_and_searches_under_interleaving(workflows):
    seen = {"allocated": 0, "allocation refused": 0, "deleted": 0, "poss refusal listed": 0,
            "refused": 0}

    @SETTINGS
    @given(st.data())
    def run(draw):
        clock = SimulatedClock(START)
        engine = Engine(workflows, clock=clock)
        for name in RECORDS:
            engine.create("sco", name)
        for name in SCO_APPS:
            engine.create("coa", name)
        sco = Sco()
        for _ in range(draw.draw(st.integers(4, 30), label="steps")):
            today = clock().date()
            kind = draw.draw(st.sampled_from(SCO_KINDS), label="kind")
            if kind == "advance":
                advance_overnight(draw, engine, clock, sco)
                continue
            if kind == "report":
                request_report(draw, engine, sco)
                continue
            site = draw.draw(st.sampled_from(SITES), label="site")
            person = draw.draw(st.sampled_from(NAMES), label="name")
            if kind in ("create", "update", "delete"):
                step = draw_record_event(draw, kind, engine, sco, today, site, person)
            else:
                step = draw_application_event(draw, kind, sco, today, site, person)

            accepted = fire(engine, step.target, step.event, step.data)
            if not accepted:
                seen["refused"] += 1
            assert accepted == step.ok, f"{step.event} on {step.target} with {step.data}: " \
                f"accepted={accepted}, expected {step.ok}"
            if kind == "allocate" and sco.apps[step.target]["status"] == "None":
                seen["allocated" if accepted else "allocation refused"] += 1
            if accepted:
                sco.accept(kind, step)
                if kind == "delete":
                    seen["deleted"] += 1
                if kind == "poss refusal" and draw.draw(st.booleans(),
                                                        label="a report requested with it"):
                    # Table 10 Step 4
                    engine.fire(engine.instances[step.target], "request_sco_report", {})
                    sco.apps[step.target]["requested"] = True

            # statuses, then every search, against the records and applications as expected
            check_records_and_their_searches(engine, sco, today)
            check_report_searches(engine, sco, seen)

    run()
    assert all(v >= 5 for v in seen.values()), seen
