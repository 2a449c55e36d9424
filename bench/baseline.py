"""Hand-written `transitions` baseline for the COA per-event benchmark.

One `transitions.Machine` drives every case of a Change of Assessment (COA) application along the
same path that procflow's benchmark plays: save, record the case assessment, allocate a decision
maker, set "App to Proceed", record a contact, finalise as Var-Increase, refer for amendment and
decide the amendment (Var-Decrease). As in procflow's workflows, the allocation checks that the
officer has an SCO record at the site whose contract covers today, and a Var-Increase due to
Reason 8 opens a Customer Management Approach contact for the payer (a second machine, its
contact models attached before timing, like the cases). Guards and effects are plain Python
callables (never strings, so nothing is resolved by name per call) and receive `EventData`
(`send_event=True`). All models are attached before timing starts; `attach_cost` measures that
attachment separately.

Modelling choices:
- "None" is a COA status (saved, no status yet); it is the *string* "None". Events that stay in
  their status are internal transitions (`dest=None` in `transitions`: no exit/enter callbacks).
- Effects run as `before` callbacks, so a failing effect leaves the status unchanged; every
  accepted event is recorded by one machine-wide `after_state_change` callback.
- The clock (`today`, `now`) is injected, as in procflow, so the data always satisfy the guards.

Run alone: `.venv/bin/python bench/baseline.py [--cases N] [--repeats R]`.
"""
from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from time import perf_counter_ns
from typing import Any

from transitions import EventData, Machine

NONE = "None"  # the COA status, not Python's None
STATES = ["New", NONE, "App to Proceed", "Var-Increase", "Referred for Amendment", "Var-Decrease"]
OUTCOMES = ("Var-Increase", "Var-Decrease")
EXPECTED_OPEN = ["COADECVR", "COAR8INC", "COADECVR"]
EXPECTED_CLOSED = {"COAINPRO", "COAASREQ", "COAWTSCO", "COAINCON"}


@dataclass(slots=True)
class Intray:
    code: str
    due: datetime
    opened: datetime
    closed: datetime | None = None


@dataclass(eq=False)  # identity equality: add_model tests `model not in machine.models`
class Contact:
    """One CMA contact, started by a case's Reason 8 increase."""

    state: str = "New"
    fields: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)  # identity equality: add_model tests `model not in machine.models`
class Case:
    """One COA application. `state` is the status, owned by the machine (model_attribute)."""

    state: str = "New"
    fields: dict[str, Any] = field(default_factory=dict)
    intrays: list[Intray] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    contact: Contact = field(default_factory=Contact)  # the CMA contact a Reason 8 increase opens

# SCO records by COA Site: the officers a case may be allocated to (their contracts' dates)
SCO_RECORDS = {"Hobart": [{"name": "officer-2", "start_date": date(2026, 1, 1), "end_date": None}]}


def build_contact_machine(contacts: list[Contact], now: datetime) -> Machine:
    """The CMA contact: opened for the payer, linked to the application (no privacy risk here)."""

    def no_privacy_risk(ev: EventData) -> bool:
        return not ev.kwargs.get("privacy_risk", False)

    def open_contact(ev: EventData) -> None:
        kw = ev.kwargs
        ev.model.fields.update(customer=kw["customer"], case_number=kw.get("case_number"),
                               reason=kw["reason"], linked_application=kw["linked_application"],
                               general_enquiry_call=False, privacy_risk=False, opened_at=now,
                               activities_completed=[], customer_locked=False)

    def record_history(ev: EventData) -> None:
        tr = ev.transition
        ev.model.history.append({"time": now, "event": ev.event.name, "data": dict(ev.kwargs),
                                 "from": tr.source, "to": tr.dest or tr.source})

    return Machine(model=contacts, states=["New", "Open"], initial="New", auto_transitions=False,
                   send_event=True, after_state_change=record_history,
                   transitions=[dict(trigger="open_contact", source="New", dest="Open",
                                     conditions=no_privacy_risk, before=open_contact)])


def _open(case: Case, code: str, now: datetime, due_in: timedelta) -> None:
    case.intrays.append(Intray(code, now + due_in, now))


def _close(case: Case, *codes: str, now: datetime) -> None:
    for tray in case.intrays:
        if tray.closed is None and tray.code in codes:
            tray.closed = now


def build_machine(cases: list[Case], *, today: date | None = None,
                  now: datetime | None = None) -> Machine:
    """One machine for the COA path, with `cases` attached (an empty list attaches none)."""
    today = today or date.today()
    now = now or datetime.now()
    numbers = itertools.count(1)

    # guards (EventData -> bool) and effects (EventData -> None), closed over the clock
    def lodged_not_future(ev: EventData) -> bool:
        return ev.kwargs["lodgement_date"] <= today

    def reason_8_has_sub_reason(ev: EventData) -> bool:
        return all(r.get("sub_reason") for r in ev.kwargs["reasons"] if r["reason"] == 8)

    def to_proceed(ev: EventData) -> bool:
        kw = ev.kwargs
        return (kw["status"] == "App to Proceed" and kw["complete"] is True
                and kw["eligible"] is True and len(ev.model.fields["reasons"]) > 0)

    def finalisable(ev: EventData) -> bool:
        kw = ev.kwargs
        return (kw["outcome"] == "Var-Increase"
                and ev.model.fields["lodgement_date"] < kw["ntd_return_date"] <= today
                and kw["outcome_date"] == today and kw.get("parental_agreement") is not None)

    def officer_active(ev: EventData) -> bool:
        kw = ev.kwargs
        return any(r["name"] == kw["officer"] and r["start_date"] <= today
                   and (r["end_date"] is None or r["end_date"] >= today)
                   for r in SCO_RECORDS.get(kw["coa_site"], ()))

    def amendment_decidable(ev: EventData) -> bool:
        kw = ev.kwargs
        return (ev.model.fields["referred_date"] <= kw["decision_date"] <= today
                and kw["outcome"] in OUTCOMES)

    def outcome_is(outcome: str) -> Callable[[EventData], bool]:
        def check(ev: EventData) -> bool:
            return ev.kwargs["outcome"] == outcome
        return check

    def save_application(ev: EventData) -> None:
        case, kw = ev.model, ev.kwargs
        lodged = kw["lodgement_date"]
        case.fields.update(applicant=kw["applicant"], lodgement_date=lodged,
                           reasons=[dict(r) for r in kw["reasons"]],
                           application_number=next(numbers),
                           expected_finalisation_date=lodged + timedelta(days=35))
        _open(case, "COAINPRO", now, timedelta(days=35))
        _open(case, "COAASREQ", now, timedelta(hours=48))
        _open(case, "COAWTSCO", now, timedelta(hours=48))

    def record_case_assessment(ev: EventData) -> None:
        case = ev.model
        case.fields["case_assessment"] = ev.kwargs["case_assessment"]
        _close(case, "COAASREQ", now=now)
        _open(case, "COAINCON", now, timedelta(days=7))

    def allocate_decision_maker(ev: EventData) -> None:
        case, kw = ev.model, ev.kwargs
        case.fields.update(coa_site=kw["coa_site"], officer=kw["officer"], level=kw["level"],
                           allocation_date=today)
        _close(case, "COAWTSCO", now=now)

    def set_application_status(ev: EventData) -> None:
        ev.model.fields.update(complete=ev.kwargs["complete"], eligible=ev.kwargs["eligible"])

    def record_contact(ev: EventData) -> None:
        case, kw = ev.model, ev.kwargs
        contacts = case.fields.setdefault("contacts", [])
        contacts.append({"customer": kw["customer"], "action": kw["action"],
                         "outcome": kw["outcome"], "time": now})
        case.fields["respondent_contacted"] = True
        _close(case, "COAINCON", now=now)

    def finalise(ev: EventData) -> None:
        case, kw = ev.model, ev.kwargs
        _close(case, "COAINPRO", "COAINCON", "COAPNDIN", now=now)
        _open(case, "COADECVR", now, timedelta(days=14))
        successful = list(kw["successful_reasons"])
        if 8 in successful:
            _open(case, "COAR8INC", now, timedelta(days=14))
            if not case.contact.open_contact(customer="payer",
                                             case_number=case.fields.get("case_number"),
                                             linked_application="case", reason="COAR8INC"):
                raise RuntimeError("the CMA contact could not be opened")
        case.fields.update(outcome=kw["outcome"], outcome_date=kw["outcome_date"],
                           ntd_return_date=kw["ntd_return_date"],
                           parental_agreement=kw["parental_agreement"],
                           successful_reasons=successful)

    def refer_for_amendment(ev: EventData) -> None:
        case, kw = ev.model, ev.kwargs
        case.fields.update(decision_maker=kw["decision_maker"], referred_date=kw["referred_date"],
                           expected_reply_date=today + timedelta(days=14),
                           original_outcome=case.state)

    def decide_amendment(ev: EventData) -> None:
        case, kw = ev.model, ev.kwargs
        case.fields.update(amendment_decision=kw["decision"], decision_date=kw["decision_date"],
                           outcome=kw["outcome"], parental_agreement=kw["parental_agreement"],
                           outcome_reason=None, agreement_date=None)
        _open(case, "COADECVR", now, timedelta(days=14))

    def record_history(ev: EventData) -> None:
        kw, tr = ev.kwargs, ev.transition
        ev.model.history.append({"time": now, "event": ev.event.name, "actor": kw.get("actor"),
                                 "data": dict(kw), "from": tr.source, "to": tr.dest or tr.source,
                                 "source": kw.get("source", "api")})

    # dest=None: internal transition (stays in the source status)
    transitions: list[dict[str, Any]] = [
        dict(trigger="save_application", source="New", dest=NONE,
             conditions=[lodged_not_future, reason_8_has_sub_reason], before=save_application),
        dict(trigger="record_case_assessment", source=NONE, dest=None,
             before=record_case_assessment),
        dict(trigger="allocate_decision_maker", source=NONE, dest=None,
             conditions=officer_active, before=allocate_decision_maker),
        dict(trigger="set_application_status", source=NONE, dest="App to Proceed",
             conditions=to_proceed, before=set_application_status),
        dict(trigger="record_contact", source="App to Proceed", dest=None, before=record_contact),
        dict(trigger="finalise", source="App to Proceed", dest="Var-Increase",
             conditions=finalisable, before=finalise),
        dict(trigger="refer_for_amendment", source="Var-Increase", dest="Referred for Amendment",
             before=refer_for_amendment),
    ] + [  # the decided outcome selects the destination status
        dict(trigger="decide_amendment", source="Referred for Amendment", dest=outcome,
             conditions=[outcome_is(outcome), amendment_decidable], before=decide_amendment)
        for outcome in OUTCOMES
    ]
    return Machine(model=cases, states=STATES, transitions=transitions, initial="New",
                   auto_transitions=False, send_event=True, after_state_change=record_history)


def path_events(today: date) -> list[tuple[str, dict[str, Any]]]:
    """The 8 events of the path with their keyword data (shared, never mutated by effects)."""
    who = {"actor": "officer-1", "source": "ui"}
    return [
        ("save_application", {"applicant": "payee", "lodgement_date": today - timedelta(days=20),
                              "reasons": [{"reason": 8, "sub_reason": "a"}], **who}),
        ("record_case_assessment", {"case_assessment": "Complex", **who}),
        ("allocate_decision_maker", {"coa_site": "Hobart", "officer": "officer-2",
                                     "level": "APS6", **who}),
        ("set_application_status", {"status": "App to Proceed", "complete": True,
                                    "eligible": True, **who}),
        ("record_contact", {"customer": "payer", "action": "contact", "outcome": "successful",
                            **who}),
        ("finalise", {"outcome": "Var-Increase", "ntd_return_date": today - timedelta(days=5),
                      "outcome_date": today, "parental_agreement": False,
                      "successful_reasons": [8], **who}),
        ("refer_for_amendment", {"decision_maker": "officer-3", "referred_date": today, **who}),
        ("decide_amendment", {"decision": "Amend and Change", "decision_date": today,
                              "outcome": "Var-Decrease", "parental_agreement": False, **who}),
    ]


def _check(case: Case, n_events: int) -> None:
    assert case.state == "Var-Decrease", case.state
    assert case.contact.state == "Open" and case.contact.fields["reason"] == "COAR8INC"
    assert [t.code for t in case.intrays if t.closed is None] == EXPECTED_OPEN, case.intrays
    assert {t.code for t in case.intrays if t.closed is not None} == EXPECTED_CLOSED
    assert len(case.history) == n_events and case.history[-1]["to"] == "Var-Decrease"


def run_baseline(n_cases: int, today: date, now: datetime, *,
                 gc_enabled: bool = True) -> dict[str, float]:
    """Play the path on `n_cases` pre-attached cases; only the event loop is timed.

    Garbage is collected before timing; `gc_enabled=False` keeps the collector off while timing
    (the cyclic collector costs ~2 us/event at 20000 cases, as the heap of cases grows).
    """
    cases = [Case() for _ in range(n_cases)]
    build_machine(cases, today=today, now=now)
    build_contact_machine([c.contact for c in cases], now)
    events = path_events(today)
    accepted = 0
    gc.collect()
    if not gc_enabled:
        gc.disable()
    try:
        start = perf_counter_ns()
        for case in cases:
            for name, data in events:
                accepted += getattr(case, name)(**data)
        elapsed = perf_counter_ns() - start
    finally:
        gc.enable()
    expected = n_cases * len(events)
    assert accepted == expected, f"{expected - accepted} events refused"
    for case in cases:
        _check(case, len(events))
    return {"events": accepted, "seconds": elapsed / 1e9, "us_per_event": elapsed / 1e3 / accepted}


def attach_cost(n: int) -> dict[str, float]:
    """Per-model `add_model` time and traced memory (reference only, not part of the ratio).

    `add_model` checks `model not in machine.models` (a list scan), so the cost per model grows
    with the number already attached; the first and last thousand are reported too.
    """
    machine = build_machine([])
    cases = [Case() for _ in range(n)]
    gc.collect()
    stamps = [perf_counter_ns()]
    for case in cases:
        machine.add_model(case)
        stamps.append(perf_counter_ns())
    k = min(1000, n)
    machine, cases = build_machine([]), [Case() for _ in range(n)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for case in cases:
        machine.add_model(case)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {"models": n, "us_per_model": (stamps[-1] - stamps[0]) / 1e3 / n,
            "us_per_model_first_1k": (stamps[k] - stamps[0]) / 1e3 / k,
            "us_per_model_last_1k": (stamps[-1] - stamps[-1 - k]) / 1e3 / k,
            "bytes_per_model": (after - before) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    today, now = date.today(), datetime.now()
    for gc_enabled in (True, False):
        runs = [run_baseline(args.cases, today, now, gc_enabled=gc_enabled)
                for _ in range(args.repeats)]
        us = [run["us_per_event"] for run in runs]
        print(f"gc {'on ' if gc_enabled else 'off'}: {runs[0]['events']} events/run, us/event"
              f" {', '.join(f'{u:.2f}' for u in us)} (best {min(us):.2f},"
              f" median {statistics.median(us):.2f})")
    cost = attach_cost(args.cases)
    print(f"add_model ({cost['models']} models): {cost['us_per_model']:.1f} us/model"
          f" (first 1k {cost['us_per_model_first_1k']:.1f}, last 1k"
          f" {cost['us_per_model_last_1k']:.1f}), {cost['bytes_per_model']:.0f} B/model")


if __name__ == "__main__":
    main()
