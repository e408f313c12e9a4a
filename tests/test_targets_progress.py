"""The arithmetic of progress, pace, splits and figures: pure functions, table-driven."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone

import pytest

from fieldwork.targets.progress import (
    Status,
    count_progress,
    elapsed_fraction,
    format_bp,
    format_tenths,
    iso_week,
    local_day_bounds,
    parse_count,
    parse_percent,
    rate_progress,
    split_gap,
    split_proportionally,
    weeks_left,
)

START, DEADLINE = date(2026, 1, 1), date(2026, 1, 29)  # four weeks to the deadline


def d(day: int) -> date:
    return date(2026, 1, day)


@pytest.mark.parametrize(
    "case, today, achieved, status, expected, percent, days_left, weeks, required, pace",
    [
        ("before the start", date(2025, 12, 25), 0, Status.NOT_STARTED, 0, 0, 35, 5, 8, None),
        ("day 0", d(1), 0, Status.ON_TRACK, 0, 0, 28, 4, 10, 0),
        ("day 1, one short of the rounded-up pace", d(2), 1, Status.BEHIND, 2, 250, 27, 4, 10, 35),
        ("day 1, on the rounded-up pace", d(2), 2, Status.ON_TRACK, 2, 500, 27, 4, 10, 70),
        ("half way, on pace", d(15), 20, Status.ON_TRACK, 20, 5000, 14, 2, 10, 93),
        ("half way, behind", d(15), 19, Status.BEHIND, 20, 4750, 14, 2, 11, 88),
        ("half way, reached early", d(15), 41, Status.ACHIEVED, 20, 10250, 14, 2, 0, 191),
        ("last day, one short", d(29), 39, Status.BEHIND, 40, 9750, 0, 0, 1, 94),
        ("last day, reached", d(29), 40, Status.ACHIEVED, 40, 10000, 0, 0, 0, 96),
        ("after the deadline, reached", d(30), 40, Status.ACHIEVED, 40, 10000, -1, 0, None, 96),
        ("after the deadline, missed", date(2026, 2, 10), 39, Status.MISSED, 40, 9750, -12, 0, None, 94),
    ],
)
def test_count_progress_around_the_deadline(case, today, achieved, status, expected, percent, days_left, weeks,
                                            required, pace):
    p = count_progress(40, achieved, start=START, end=DEADLINE, deadline=DEADLINE, today=today)
    assert (p.status, p.expected, p.percent, p.days_left, p.weeks_left, p.required_per_week, p.pace_tenths) == \
        (status, expected, percent, days_left, weeks, required, pace), case
    assert p.remaining == max(0, 40 - achieved)
    assert p.on_track == (status not in (Status.BEHIND, Status.MISSED))


@pytest.mark.parametrize("today, status, required", [
    (date(2026, 3, 9), Status.NOT_STARTED, 5),
    (date(2026, 3, 10), Status.BEHIND, 5),  # the one day is both the start and the deadline: wholly elapsed
    (date(2026, 3, 11), Status.MISSED, None),
])
def test_zero_length_period(today, status, required):
    day = date(2026, 3, 10)
    p = count_progress(5, 0, start=day, end=day, deadline=day, today=today)
    assert (p.status, p.required_per_week) == (status, required)


def test_target_of_zero_is_reached_and_has_no_percent():
    p = count_progress(0, 0, start=START, end=DEADLINE, deadline=DEADLINE, today=d(10))
    assert (p.status, p.percent, p.bar, p.required_per_week, p.expected) == (Status.ACHIEVED, None, "100", 0, 0)


def test_pace_counts_only_the_days_of_the_period():
    # Period ends on 28 January, reports are due 10 February: pace is over the 28 days counted.
    p = count_progress(40, 28, start=START, end=date(2026, 1, 28), deadline=date(2026, 2, 10), today=date(2026, 2, 5))
    assert (p.pace_tenths, p.status, p.days_left, p.weeks_left, p.required_per_week) == (70, Status.BEHIND, 5, 1, 12)


def test_bar_width_is_capped_and_written_for_css():
    assert count_progress(40, 41, start=START, end=DEADLINE, deadline=DEADLINE, today=d(15)).bar == "100.00"
    assert count_progress(3, 1, start=START, end=DEADLINE, deadline=DEADLINE, today=d(15)).bar == "33.33"
    assert count_progress(40, 0, start=START, end=DEADLINE, deadline=DEADLINE, today=d(15)).bar == "0.00"


@pytest.mark.parametrize("case, today, covered, people, status, rate, remaining, required", [
    ("before the start", date(2025, 12, 1), 93, 100, Status.NOT_STARTED, 9300, 1, 1),
    ("under the rate", d(15), 93, 100, Status.BEHIND, 9300, 1, 1),
    ("at the rate", d(15), 94, 100, Status.ACHIEVED, 9400, 0, 0),
    ("needs people, rounded up", d(1), 90, 101, Status.BEHIND, 8910, 5, 2),  # 94 % of 101 = 94.94 → 95 people
    ("after the deadline, under", d(30), 93, 100, Status.MISSED, 9300, 1, None),
    ("after the deadline, reached", d(30), 95, 100, Status.ACHIEVED, 9500, 0, None),
    ("no people at all", d(15), 0, 0, Status.BEHIND, 0, 0, 0),
])
def test_coverage_is_a_rate_today_against_the_target(case, today, covered, people, status, rate, remaining, required):
    p = rate_progress(9400, covered, people, start=START, end=DEADLINE, deadline=DEADLINE, today=today)
    assert (p.status, p.achieved, p.remaining, p.required_per_week) == (status, rate, remaining, required), case
    assert p.is_rate and p.pace_tenths is None and p.expected == 9400


@pytest.mark.parametrize("start, deadline, today, fraction", [
    (START, DEADLINE, date(2025, 12, 31), (0, 1)),
    (START, DEADLINE, START, (0, 28)),
    (START, DEADLINE, d(8), (7, 28)),
    (START, DEADLINE, DEADLINE, (1, 1)),
    (START, DEADLINE, d(30), (1, 1)),
    (START, START, START, (1, 1)),
])
def test_elapsed_fraction_is_clamped(start, deadline, today, fraction):
    assert elapsed_fraction(start, deadline, today) == fraction


@pytest.mark.parametrize("today, weeks", [(d(29), 0), (d(28), 1), (d(22), 1), (d(21), 2), (d(30), 0)])
def test_weeks_left_counts_a_part_week_as_a_week(today, weeks):
    assert weeks_left(DEADLINE, today) == weeks


@pytest.mark.parametrize("total, weights, parts", [
    (20, [3, 1], [15, 5]),
    (10, [1, 1, 1], [4, 3, 3]),  # ties go to the first
    (7, [0, 0], [4, 3]),  # no weight at all: even
    (100, [120, 80, 50], [48, 32, 20]),
    (5, [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]),
    (0, [3, 4], [0, 0]),
    (9, [], []),
])
def test_split_proportionally(total, weights, parts):
    assert split_proportionally(total, weights) == parts


def test_split_parts_always_add_up_and_are_deterministic():
    rng = random.Random(7)
    for _ in range(200):
        weights = [rng.randint(0, 50) for _ in range(rng.randint(1, 9))]
        total = rng.randint(0, 5000)
        parts = split_proportionally(total, weights)
        assert sum(parts) == total and parts == split_proportionally(total, weights)
        assert all(p >= 0 for p in parts)


@pytest.mark.parametrize("parts, whole, gap", [([15, 5], 20, 0), ([15, 4], 20, -1), ([15, 7], 20, 2), ([], 5, -5)])
def test_split_gap(parts, whole, gap):
    assert split_gap(parts, whole) == gap


@pytest.mark.parametrize("text, value", [
    ("120", 120), (" 1.220 ", 1220), ("1 220", 1220), ("0", 0), ("12a", None), ("1.5", None), ("-3", None),
    ("", None), (None, None), ("1,220", None),
])
def test_parse_count(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("text, value", [
    ("94", 9400), ("94,5", 9450), ("94.5", 9450), ("94,25", 9425), ("94 %", 9400), ("100", 10000),
    ("100,5", None), ("101", None), ("94,255", None), ("abc", None), ("", None), ("0,5", 50),
])
def test_parse_percent_into_basis_points(text, value):
    assert parse_percent(text) == value


@pytest.mark.parametrize("value, shown", [(9400, "94 %"), (9450, "94,5 %"), (9425, "94,25 %"), (10250, "102,5 %"),
                                          (0, "0 %"), (None, "—"), (-150, "-1,5 %")])
def test_format_bp(value, shown):
    assert format_bp(value) == shown


@pytest.mark.parametrize("value, shown", [(25, "2,5"), (30, "3"), (0, "0"), (12345, "1.234,5"), (None, "—")])
def test_format_tenths(value, shown):
    assert format_tenths(value) == shown


def test_iso_week_is_monday_to_sunday():
    assert iso_week(date(2026, 1, 1)) == (date(2025, 12, 29), date(2026, 1, 4))  # a Thursday
    assert iso_week(date(2026, 1, 5)) == (date(2026, 1, 5), date(2026, 1, 11))  # a Monday
    assert iso_week(date(2026, 1, 11)) == (date(2026, 1, 5), date(2026, 1, 11))  # a Sunday


def test_local_days_start_at_midnight_in_vietnam():
    low, high = local_day_bounds(date(2026, 1, 1), date(2026, 1, 31))
    assert low == datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc)
    assert high == datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc)
