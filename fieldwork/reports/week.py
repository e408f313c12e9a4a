"""ISO weeks (Monday–Sunday) as the reports name them: "2026-W47" in links, "Tuần 47/2026" on paper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

_KEY = re.compile(r"(\d{4})-W(\d{1,2})")


@dataclass(frozen=True)
class Week:
    year: int  # the ISO year, which differs from the calendar year around New Year
    number: int
    first: date  # Monday
    last: date  # Sunday

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def shifted(self, weeks: int) -> "Week":
        return week_of(self.first + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return self.key


def week_of(day: date) -> Week:
    year, number, weekday = day.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    return Week(year, number, monday, monday + timedelta(days=6))


def parse_week(text: Optional[str]) -> Optional[Week]:
    """"2026-W47" → that week; anything else (or a week number the year does not have) → None."""
    match = _KEY.fullmatch((text or "").strip())
    if not match:
        return None
    year, number = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        return None
    return week_of(monday)


def recent_weeks(today: date, count: int = 8) -> list[Week]:
    """This week first, then the ones before it."""
    current = week_of(today)
    return [current.shifted(-i) for i in range(count)]
