"""Progress against a target (chỉ tiêu): pure arithmetic over dates and whole numbers, no database.

What counts (the queries live in ``services.py``; the rules are stated here once):

* **Window.** A count target counts enrolments dated in ``[period_start, min(today, period_end)]``; an enrolment's
  date is its receipt date when it has one, else the local day (Asia/Ho_Chi_Minh) it was recorded.
* **Unit.** A commune target counts every village of the commune; a village target the village's households; a
  member's share the enrolments the member recorded (``Enrolment.member_id``).
* **Indicators.** ``new_bhxh_tn`` / ``new_bhyt_hgd``: distinct people with a *new* enrolment in that scheme;
  ``renewals``: renewal enrolments (a count of payments, not people); ``sponsored``: enrolments paid by a sponsor
  (books and cards handed over); ``bhyt_coverage``: a *rate at today*, not a count over the period: people of the unit
  (not archived, household not archived) holding a valid card today divided by all of them, in basis points.
  A card is valid as on the household page (``households.services.coverage``): bought as household insurance and not
  expired, or covered through another group with no expiry recorded or one not yet passed.

The arithmetic (all integers):

* ``percent`` = achieved / value, in basis points of the target (10000 = 100 %); ``None`` when the value is 0.
* ``remaining`` = max(0, value − achieved) (for a rate: people still to cover to reach the rate).
* ``days_left`` = (deadline − today) in days, negative after the deadline; ``weeks_left`` = ⌈days_left / 7⌉, at least 0.
* ``required_per_week`` = ⌈remaining / max(1, weeks_left)⌉ until the deadline, ``None`` after it.
* ``pace_tenths`` = achieved per week since ``period_start``, in tenths, over the days counted so far (today included);
  ``None`` before the start and for rates.
* ``elapsed`` = (today − start) / (deadline − start), clamped to 0..1: 0 before the start and on its first day, 1 from
  the deadline on (a period whose deadline is its start day is wholly elapsed on that day).
* ``expected`` = ⌈value × elapsed⌉; a count target is *on track* when achieved ≥ value × elapsed.
* Status: after the deadline ``achieved`` or ``missed``; before it ``achieved`` as soon as the value is reached (a rate:
  as soon as rate ≥ target), else ``not_started`` before the start, else ``on_track`` / ``behind`` (a rate is
  ``behind`` whenever it is under the target).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from flask_babel import lazy_gettext as _l

from ..demo import split_proportionally
from ..text import LOCAL_TZ

__all__ = ["Progress", "Status", "count_progress", "rate_progress", "split_proportionally", "split_gap",
           "elapsed_fraction", "weeks_left", "ceil_div", "iso_week", "local_day_bounds", "rate_bp",
           "parse_count", "parse_percent", "format_bp", "format_tenths"]


class Status(str, enum.Enum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    ACHIEVED = "achieved"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])

    @property
    def lagging(self) -> bool:
        return self in (Status.BEHIND, Status.MISSED)


_STATUS_LABELS = {
    Status.NOT_STARTED: _l("Chưa bắt đầu"),
    Status.ON_TRACK: _l("Đúng tiến độ"),
    Status.BEHIND: _l("Chậm tiến độ"),
    Status.ACHIEVED: _l("Đã đạt"),
    Status.MISSED: _l("Không đạt"),
}


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def elapsed_fraction(start: date, deadline: date, today: date) -> tuple[int, int]:
    """How much of the time to the deadline has gone, as a fraction (numerator, denominator) clamped to 0..1."""
    if today < start:
        return 0, 1
    if today >= deadline:
        return 1, 1
    return (today - start).days, (deadline - start).days


def weeks_left(deadline: date, today: date) -> int:
    """Whole or part weeks from today to the deadline; 0 on the deadline and after it."""
    days = (deadline - today).days
    return ceil_div(days, 7) if days > 0 else 0


def rate_bp(covered: int, population: int) -> Optional[int]:
    """covered / population in basis points, rounded down; ``None`` for an empty unit."""
    return covered * 10000 // population if population > 0 else None


@dataclass(frozen=True)
class Progress:
    value: int  # the target: a count, or basis points for a rate
    achieved: int  # a count, or the rate in basis points
    percent: Optional[int]  # basis points of the target; None when the target is 0
    remaining: int
    expected: int  # what should be achieved by today to be on track (a rate: the target itself)
    days_left: int
    weeks_left: int
    required_per_week: Optional[int]
    pace_tenths: Optional[int]
    status: Status
    is_rate: bool = False
    covered: Optional[int] = None  # rates only: people with a valid card, and all people of the unit
    population: Optional[int] = None

    @property
    def bar(self) -> str:
        """Width of the progress bar as a CSS percentage (capped at 100)."""
        if self.percent is None:
            return "100" if self.status == Status.ACHIEVED else "0"
        shown = min(self.percent, 10000)
        return f"{shown // 100}.{shown % 100:02d}"

    @property
    def on_track(self) -> bool:
        return not self.status.lagging


def _status(met: bool, on_pace: bool, start: date, deadline: date, today: date) -> Status:
    if today > deadline:
        return Status.ACHIEVED if met else Status.MISSED
    if met:
        return Status.ACHIEVED
    if today < start:
        return Status.NOT_STARTED
    return Status.ON_TRACK if on_pace else Status.BEHIND


def count_progress(value: int, achieved: int, *, start: date, end: date, deadline: date, today: date) -> Progress:
    """Progress of a count target (new participants, renewals, sponsored books and cards)."""
    num, den = elapsed_fraction(start, deadline, today)
    expected = ceil_div(value * num, den)
    remaining = max(0, value - achieved)
    weeks = weeks_left(deadline, today)
    counted_days = (min(today, end) - start).days + 1
    return Progress(
        value=value,
        achieved=achieved,
        percent=achieved * 10000 // value if value > 0 else None,
        remaining=remaining,
        expected=expected,
        days_left=(deadline - today).days,
        weeks_left=weeks,
        required_per_week=ceil_div(remaining, max(1, weeks)) if today <= deadline else None,
        pace_tenths=achieved * 70 // counted_days if counted_days > 0 else None,
        status=_status(achieved >= value, achieved * den >= value * num, start, deadline, today),
    )


def rate_progress(value: int, covered: int, population: int, *, start: date, end: date, deadline: date,
                  today: date) -> Progress:
    """Progress of a rate target (BHYT coverage, ``value`` in basis points) from the people covered today.

    ``remaining`` is the number of people still to cover for the rate to reach the target.
    """
    rate = rate_bp(covered, population)
    achieved = rate if rate is not None else 0
    remaining = max(0, ceil_div(value * population, 10000) - covered)
    weeks = weeks_left(deadline, today)
    met = achieved >= value
    return Progress(
        value=value,
        achieved=achieved,
        percent=achieved * 10000 // value if value > 0 else None,
        remaining=remaining,
        expected=value,
        days_left=(deadline - today).days,
        weeks_left=weeks,
        required_per_week=ceil_div(remaining, max(1, weeks)) if today <= deadline else None,
        pace_tenths=None,
        status=_status(met, met, start, deadline, today),
        is_rate=True,
        covered=covered,
        population=population,
    )


def split_gap(parts: list[int], whole: int) -> int:
    """How far the parts are from the whole: negative = parts fall short, positive = more than the whole."""
    return sum(parts) - whole


def iso_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of today's ISO week."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants [start of ``first``, start of the day after ``last``) of local days in Asia/Ho_Chi_Minh."""
    low = datetime.combine(first, time.min, LOCAL_TZ).astimezone(timezone.utc)
    high = datetime.combine(last + timedelta(days=1), time.min, LOCAL_TZ).astimezone(timezone.utc)
    return low, high


# --- reading and showing figures -----------------------------------------------------------------------------------

_COUNT = re.compile(r"\d+|\d{1,3}(?:[.\s]\d{3})+")
_PERCENT = re.compile(r"(\d{1,3})(?:[.,](\d{1,2}))?\s*%?")


MAX_COUNT = 1_000_000  # more people than any commune has: a typo (and past it, more than the column holds)


def parse_count(text: Optional[str]) -> Optional[int]:
    """A whole number as typed: "120", "1.220", "1 220" → 1220; anything else, or above a million → None."""
    text = (text or "").strip()
    if not _COUNT.fullmatch(text):
        return None
    value = int(re.sub(r"\D", "", text))
    return value if value <= MAX_COUNT else None


def parse_percent(text: Optional[str]) -> Optional[int]:
    """A percentage as typed, into basis points: "94" → 9400, "94,5" → 9450, "94.25 %" → 9425; above 100 → None."""
    match = _PERCENT.fullmatch((text or "").strip())
    if not match:
        return None
    value = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    return value if value <= 10000 else None


def format_bp(value: Optional[int]) -> str:
    """Basis points as a Vietnamese percentage: 9400 → "94 %", 9450 → "94,5 %", 9425 → "94,25 %"."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    shown = f"{whole:,}".replace(",", ".")
    if cents:
        shown += "," + f"{cents:02d}".rstrip("0")
    return f"{sign}{shown} %"


def format_tenths(value: Optional[int]) -> str:
    """Tenths as a Vietnamese decimal: 25 → "2,5", 30 → "3"."""
    if value is None:
        return "—"
    whole, tenth = divmod(value, 10)
    return f"{whole:,}".replace(",", ".") + (f",{tenth}" if tenth else "")
