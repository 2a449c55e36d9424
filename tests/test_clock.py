"""Clocks and periods: what a scenario's `advance:` and an intray's `due:` accept."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.clock import SimulatedClock, ZoneGiven, duration_words, parse_duration, parse_moment


@pytest.mark.parametrize("text, expected", [
    ("35d", timedelta(days=35)), ("48h", timedelta(hours=48)), ("2w", timedelta(weeks=2)),
    ("30m", timedelta(minutes=30)), ("7 days", timedelta(days=7)),
    ("48 hours", timedelta(hours=48)),
    ("1 week", timedelta(weeks=1)), ("15 minutes", timedelta(minutes=15)),
    ("1 day", timedelta(days=1)),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text",
                         ["", "days", "35", "35 fortnights", "-3 days", "3 days ago", "d35"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="is not a period"):
        parse_duration(text)


@pytest.mark.parametrize("text, expected", [
    ("2026-03-02 09:00", datetime(2026, 3, 2, 9, 0)),
    ("2026-03-02T09:00:30", datetime(2026, 3, 2, 9, 0, 30)),
    ("2026-03-02", datetime(2026, 3, 2, 0, 0)),
])
def test_parse_moment(text, expected):
    assert parse_moment(text) == expected


def test_parse_moment_refuses():
    with pytest.raises(ValueError, match="is not a moment"):
        parse_moment("next Tuesday")


@pytest.mark.parametrize("value", ["2026-03-02 09:00+10:00", "2026-03-02 09:00Z",
                                   "2026-03-02T09:00:00-05:00",
                                   "2026-03-02T09:00+1000", "2026-03-02 09:00 z",
                                   datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=10)))])
def test_a_moment_with_a_time_zone_is_refused_not_read_as_local_time(value):
    with pytest.raises(ZoneGiven, match="has a time zone"):
        parse_moment(value)


def test_a_datetime_field_with_a_time_zone_is_refused_saying_so():
    from engine.model import FieldSpec
    from engine.values import ValueProblem, coerce

    spec = FieldSpec(name="at", type="datetime", title="Contact time")
    assert coerce(spec, "2026-03-02 09:00", {}) == datetime(2026, 3, 2, 9)
    zoned = r"Contact time: '2026-03-02 09:00\+10:00' has a time zone \(\+10:00\)"
    with pytest.raises(ValueProblem, match=zoned):
        coerce(spec, "2026-03-02 09:00+10:00", {})


def test_simulated_clock_moves_only_when_told():
    clock = SimulatedClock("2026-03-02 09:00")
    assert clock() == clock() == datetime(2026, 3, 2, 9, 0)
    clock.advance(timedelta(days=3))
    assert clock() == datetime(2026, 3, 5, 9, 0)


@pytest.mark.parametrize("text, words", [
    ("48h", "48 hours"), ("1d", "1 day"), ("35 days", "35 days"), ("2w", "2 weeks"),
    ("30m", "30 minutes"),
    ("1 hour", "1 hour"),
])
def test_a_period_is_said_as_written(text, words):
    assert duration_words(text) == words


def test_the_engine_clock_does_not_move_backwards(mini):
    from engine import Engine, Refused

    engine = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    with pytest.raises(Refused, match="the clock cannot move backwards"):
        engine.advance(datetime(2026, 3, 1))
    assert engine.clock() == datetime(2026, 3, 2, 9)
