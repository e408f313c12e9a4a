"""Targets (chỉ tiêu): setting and splitting them, their progress counted from enrolments, the commune dashboard,
the member's own progress and the emulation ranking. Services flush, never commit; every change is audited.

What is counted and how progress is judged is written once, in :mod:`fieldwork.targets.progress`; this module runs
the queries, a handful per page whatever the number of targets (:class:`Tally` groups them by village and member).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Iterable, Optional

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, case, false, func, or_, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..db import read_rows
from ..enrolments.services import RENEWAL_WINDOW
from ..households.services import coverage
from ..main.services import OfficialHome, official_home
from ..models import (
    Assignment,
    BhxhStatus,
    BhytStatus,
    Committee,
    CommitteeMember,
    Commune,
    Dropout,
    Enrolment,
    EnrolmentKind,
    FollowUp,
    FollowUpStatus,
    Household,
    Indicator,
    Person,
    Province,
    Role,
    Scheme,
    Target,
    User,
    Village,
    Visit,
)
from ..security import member_record
from ..text import format_number, to_local
from .progress import (
    Progress,
    count_progress,
    iso_week,
    local_day_bounds,
    rate_bp,
    rate_progress,
    split_gap,
    split_proportionally,
)

INDICATOR_ORDER = [Indicator.NEW_BHXH_TN, Indicator.NEW_BHYT_HGD, Indicator.RENEWALS, Indicator.SPONSORED,
                   Indicator.BHYT_COVERAGE]
SHOWN_AFTER_DEADLINE = timedelta(days=31)  # dashboards keep a target this long after its deadline
INACTIVE_AFTER = 14  # days without a visit before a member is called out
COACHING_SHOWN = 10  # members listed before "more"


class TargetError(ValueError):
    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _order(indicator: Indicator) -> int:
    return INDICATOR_ORDER.index(indicator)


# --- scope ---------------------------------------------------------------------------------------------------------


def target_scope(user: User) -> ColumnElement[bool]:
    """Targets a user may load: an admin all, an official the commune's, a member their village's."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.OFFICIAL and user.commune_id is not None:
        return Target.commune_id == user.commune_id
    if user.role == Role.MEMBER and user.village_id is not None:
        return Target.village_id == user.village_id
    return false()


def get_target_for_user(session: Session, user: User, target_id: int) -> Target:
    target = session.exec(select(Target).where(Target.id == target_id, target_scope(user))).first()
    if target is None:
        abort(404)
    return target


def commune_for_user(session: Session, user: User, requested: Optional[int] = None) -> Commune:
    """An official's own commune; for an admin the commune asked for, else the first that has villages."""
    if user.role == Role.OFFICIAL:
        commune = session.get(Commune, user.commune_id) if user.commune_id else None
    elif user.role == Role.ADMIN:
        commune = session.get(Commune, requested) if requested else session.exec(
            select(Commune).where(Commune.id.in_(select(Village.commune_id))).order_by(Commune.name)).first()
    else:
        commune = None
    if commune is None:
        abort(404)
    return commune


def is_village_head(session: Session, user: User, village_id: Optional[int]) -> bool:
    """The user is the active head of the village's current committee."""
    if user.role != Role.MEMBER or village_id is None or user.village_id != village_id:
        return False
    member = member_record(session, user)
    if member is None or not member.is_head or member.left_on is not None:
        return False
    committee = session.get(Committee, member.committee_id)
    return committee is not None and committee.village_id == village_id and committee.dissolved_on is None


def may_manage(session: Session, user: User, target: Target) -> bool:
    """Officials and admins manage every target in scope; a committee head their village's and its members' shares."""
    if user.role in (Role.OFFICIAL, Role.ADMIN):
        return True
    return target.village_id is not None and is_village_head(session, user, target.village_id)


def may_split(session: Session, user: User, target: Target) -> bool:
    """A commune target is split across villages by officials; a village target across members also by its head."""
    if target.member_id is not None:
        return False
    if target.village_id is None:
        return user.role in (Role.OFFICIAL, Role.ADMIN)
    return may_manage(session, user, target)


# --- counting ------------------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Enrolments of one unit over one window, by indicator (see :mod:`.progress`), and visits."""

    new_bhxh_tn: int = 0
    new_bhyt_hgd: int = 0
    renewals: int = 0
    sponsored: int = 0
    visits: int = 0

    def get(self, indicator: Indicator) -> int:
        return getattr(self, indicator.value)

    @property
    def new(self) -> int:
        return self.new_bhxh_tn + self.new_bhyt_hgd

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[int, ...]:
        return self.new_bhxh_tn, self.new_bhyt_hgd, self.renewals, self.sponsored, self.visits


def enrolment_dated(first: date, last: date) -> ColumnElement[bool]:
    """Enrolments whose date (receipt date, else the local day recorded) falls in [first, last]."""
    low, high = local_day_bounds(first, last)
    return or_(
        and_(Enrolment.receipt_date.is_not(None), Enrolment.receipt_date >= first, Enrolment.receipt_date <= last),
        and_(Enrolment.receipt_date.is_(None), Enrolment.created_at >= low, Enrolment.created_at < high),
    )


Window = tuple[date, date]


def activity(session: Session, village_ids: list[int], first: date, last: date) -> tuple[dict[int, Counts],
                                                                                          dict[int, Counts]]:
    """Enrolments and visits dated in [first, last] in these villages: by village and by member."""
    return activities(session, village_ids, [(first, last)])[(first, last)]


def _segment(value, bounds: list) -> ColumnElement[int]:
    """Which of the segments cut by the sorted ``bounds`` a value falls in: 0 before the first bound, i for
    [bounds[i-1], bounds[i]), len(bounds) from the last one on."""
    return case(*[(value < bound, i) for i, bound in enumerate(bounds)], else_=len(bounds))


@lru_cache(maxsize=32)
def _activity_queries(bounds: int) -> tuple[Select, Select]:
    """The two statements of ``activities`` for this number of segment bounds, built once: the villages, the bounds
    and the span are bound parameters (building and keying the statements was a third of their cost)."""
    days = [bindparam(f"day_{i}", type_=Enrolment.receipt_date.type) for i in range(bounds)]
    instants = [bindparam(f"instant_{i}", type_=Enrolment.created_at.type) for i in range(bounds)]
    in_villages = Household.village_id.in_(bindparam("village_ids", expanding=True))
    day, instant = Enrolment.receipt_date.type, Enrolment.created_at.type
    first, last = bindparam("first", type_=day), bindparam("last", type_=day)
    low, high = bindparam("low", type_=instant), bindparam("high", type_=instant)
    dated = or_(and_(Enrolment.receipt_date.is_not(None), Enrolment.receipt_date >= first,
                     Enrolment.receipt_date <= last),
                and_(Enrolment.receipt_date.is_(None), Enrolment.created_at >= low, Enrolment.created_at < high))
    segment = case((Enrolment.receipt_date.is_not(None), _segment(Enrolment.receipt_date, days)),
                   else_=_segment(Enrolment.created_at, instants))
    counted_new = and_(Enrolment.kind == EnrolmentKind.NEW, Enrolment.scheme.in_([Scheme.BHXH_TN, Scheme.BHYT_HGD]))
    # One pass: renewals and sponsored enrolments counted per village, member and segment; new enrolments also
    # grouped by person (their rows carry the person and the scheme), to be counted once per window in sets.
    enrolments = (select(Household.village_id, Enrolment.member_id, segment.label("segment"),
                         case((counted_new, Enrolment.scheme)).label("new_scheme"),
                         case((counted_new, Enrolment.person_id)).label("new_person"),
                         func.count(case((Enrolment.kind == EnrolmentKind.RENEWAL, Enrolment.id))),
                         func.count(Enrolment.sponsorship_id))
                  .select_from(Enrolment).join(Person, Person.id == Enrolment.person_id)
                  .join(Household, Household.id == Person.household_id)
                  .where(in_villages, dated)
                  .group_by(Household.village_id, Enrolment.member_id, "segment", "new_scheme", "new_person"))
    visits = (select(Household.village_id, Visit.member_id, _segment(Visit.visited_at, instants).label("segment"),
                     func.count(Visit.id))
              .join(Household, Household.id == Visit.household_id)
              .where(in_villages, Visit.visited_at >= low, Visit.visited_at < high)
              .group_by(Household.village_id, Visit.member_id, "segment"))
    return enrolments, visits


def activities(session: Session, village_ids: list[int], windows: Iterable[Window]) \
        -> dict[Window, tuple[dict[int, Counts], dict[int, Counts]]]:
    """``activity`` for many windows at once, in two queries whatever their number.

    The windows' first days and the days after their last cut the span they cover into segments; each query reads the
    span once and counts by village, member and segment, and a window is the sum of its segments (a report's eight
    chart weeks, its week and its targets' periods were four queries each). New enrolments count people once per
    window, as before: their rows are grouped by person too and counted in sets."""
    windows = list(dict.fromkeys(windows))
    found = {w: (defaultdict(Counts), defaultdict(Counts)) for w in windows}
    live = [w for w in windows if w[0] <= w[1]]
    if not village_ids or not live:
        return found
    days = sorted({w[0] for w in live} | {w[1] + timedelta(days=1) for w in live})
    instants = [local_day_bounds(d, d)[0] for d in days]
    # Segment j (1 ≤ j < len(days)) is the days [days[j-1], days[j]); a window covers a run of them.
    covering: dict[int, list[Window]] = defaultdict(list)
    for w in live:
        for j in range(days.index(w[0]) + 1, days.index(w[1] + timedelta(days=1)) + 1):
            covering[j].append(w)
    span = (days[0], days[-1] - timedelta(days=1))
    low, high = local_day_bounds(*span)
    params = {"village_ids": list(village_ids), "first": span[0], "last": span[1], "low": low, "high": high,
              **{f"day_{i}": d for i, d in enumerate(days)}, **{f"instant_{i}": t for i, t in enumerate(instants)}}
    enrolments, visits = _activity_queries(len(days))

    def add(village_id, member_id, segment, **figures) -> None:
        for w in covering.get(segment, ()):
            for side, key in ((0, village_id), (1, member_id)):
                if key is not None:
                    counts = found[w][side][key]
                    for name, n in figures.items():
                        setattr(counts, name, getattr(counts, name) + int(n or 0))

    people: dict[tuple[Window, int, object, Scheme], set[int]] = defaultdict(set)
    for village_id, member_id, seg, scheme, person_id, renewals, sponsored in read_rows(session, enrolments, params):
        add(village_id, member_id, seg, renewals=renewals, sponsored=sponsored)
        if person_id is not None:
            for w in covering.get(seg, ()):
                for side, key in ((0, village_id), (1, member_id)):
                    if key is not None:
                        people[(w, side, key, scheme)].add(person_id)
    for (w, side, key, scheme), persons in people.items():
        field = "new_bhxh_tn" if scheme == Scheme.BHXH_TN else "new_bhyt_hgd"
        setattr(found[w][side][key], field, len(persons))
    for village_id, member_id, seg, n in read_rows(session, visits, params):
        add(village_id, member_id, seg, visits=n)
    return found


def _valid_card(today: date) -> ColumnElement[bool]:
    """Same rule as ``households.services.coverage``: a household card not expired, or another group's cover."""
    return or_(
        and_(Person.bhyt_status == BhytStatus.HOUSEHOLD, Person.bhyt_card_expiry >= today),
        and_(Person.bhyt_status == BhytStatus.OTHER_GROUP,
             or_(Person.bhyt_card_expiry.is_(None), Person.bhyt_card_expiry >= today)),
    )


def _coverage_query(key_column, today: date):
    return (select(key_column, func.sum(case((_valid_card(today), 1), else_=0)), func.count(Person.id))
            .select_from(Person).join(Household, Household.id == Person.household_id)
            .where(Person.archived_at.is_(None), Household.archived_at.is_(None)))


# Built once: people with a valid card today and people, per village and current holder (see ``Tally.coverage``).
_COVERAGE_BY_VILLAGE_AND_HOLDER = (
    _coverage_query(Household.village_id, bindparam("today", type_=Person.bhyt_card_expiry.type))
    .add_columns(Assignment.member_id)
    .outerjoin(Assignment, and_(Assignment.household_id == Household.id, Assignment.valid_to.is_(None)))
    .where(Household.village_id.in_(bindparam("village_ids", expanding=True)))
    .group_by(Household.village_id, Assignment.member_id))


class Tally:
    """Progress of many targets of one commune in few queries: figures are fetched per window, for every village and
    member at once, and remembered."""

    def __init__(self, session: Session, commune_id: int, today: date, village_ids: Optional[list[int]] = None):
        """``village_ids``: count only these villages of the commune (a village's own report), not all of them."""
        self.session = session
        self.today = today
        self.village_ids = village_ids if village_ids is not None else list(
            session.exec(select(Village.id).where(Village.commune_id == commune_id)).all())
        self._windows: dict[tuple[date, date], tuple[dict[int, Counts], dict[int, Counts]]] = {}
        self._coverage: Optional[tuple[dict, dict]] = None

    def window(self, first: date, last: date) -> tuple[dict[int, Counts], dict[int, Counts]]:
        key = (first, last)
        if key not in self._windows:
            self.prefetch([key])
        return self._windows[key]

    def prefetch(self, windows: Iterable[Window]) -> None:
        """Count these windows together (see ``activities``); a page that knows the windows it will show asks once."""
        missing = [w for w in windows if w not in self._windows]
        if missing:
            self._windows.update(activities(self.session, self.village_ids, missing))

    def target_window(self, target: Target) -> Optional[Window]:
        """The window ``achieved`` counts for a count target (None for a rate, or a period not begun)."""
        last = min(self.today, target.period_end)
        if target.indicator == Indicator.BHYT_COVERAGE or last < target.period_start:
            return None
        return target.period_start, last

    def coverage(self) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
        """(people with a valid card today, people) per village, and in the households each member holds now.
        One query: people counted per village and current holder (none for a household nobody holds; a household
        has at most one current assignment, uq_assignment_household_current), then added up both ways. Two
        queries, one per way, read the same people twice: 8–12 ms each on a commune of the bench province."""
        if self._coverage is None:
            by_village: dict[int, tuple[int, int]] = {}
            by_member: dict[int, tuple[int, int]] = {}
            if self.village_ids:
                rows = read_rows(self.session, _COVERAGE_BY_VILLAGE_AND_HOLDER, {
                    "today": self.today, "village_ids": list(self.village_ids)})
                for village_id, covered, people, member_id in rows:
                    for table, key in ((by_village, village_id), (by_member, member_id)):
                        if key is not None:
                            c, n = table.get(key, (0, 0))
                            table[key] = (c + int(covered or 0), n + int(people))
            self._coverage = (by_village, by_member)
        return self._coverage

    def achieved(self, target: Target) -> int:
        last = min(self.today, target.period_end)
        if last < target.period_start:
            return 0
        by_village, by_member = self.window(target.period_start, last)
        if target.member_id is not None:
            return by_member.get(target.member_id, Counts()).get(target.indicator)
        if target.village_id is not None:
            return by_village.get(target.village_id, Counts()).get(target.indicator)
        return sum(c.get(target.indicator) for c in by_village.values())

    def covered(self, target: Target) -> tuple[int, int]:
        by_village, by_member = self.coverage()
        if target.member_id is not None:
            return by_member.get(target.member_id, (0, 0))
        if target.village_id is not None:
            return by_village.get(target.village_id, (0, 0))
        return sum(c for c, _n in by_village.values()), sum(n for _c, n in by_village.values())

    def progress(self, target: Target) -> Progress:
        dates = dict(start=target.period_start, end=target.period_end, deadline=target.deadline, today=self.today)
        if target.indicator == Indicator.BHYT_COVERAGE:
            covered, people = self.covered(target)
            return rate_progress(target.value, covered, people, **dates)
        return count_progress(target.value, self.achieved(target), **dates)


# --- what pages show of a target -----------------------------------------------------------------------------------


@dataclass
class TargetLine:
    target: Target
    progress: Progress
    unit: str  # the commune's, village's or member's name
    village: Optional[str] = None  # a member's village

    @property
    def lagging(self) -> bool:
        return self.progress.status.lagging


def _names(session: Session, targets: Iterable[Target]) -> tuple[dict[int, str], dict[int, CommitteeMember]]:
    targets = list(targets)
    village_ids = {t.village_id for t in targets if t.village_id}
    member_ids = {t.member_id for t in targets if t.member_id}
    villages = dict(read_rows(session, VILLAGE_NAMES, {"ids": list(village_ids)})) if village_ids else {}
    members = {m.id: m for m in session.exec(_MEMBERS_BY_ID, params={"ids": list(member_ids)}).all()} \
        if member_ids else {}
    return villages, members


# Village id → name for the ids in ``ids`` (the weekly report uses it too).
VILLAGE_NAMES = select(Village.id, Village.name).where(Village.id.in_(bindparam("ids", expanding=True)))
_MEMBERS_BY_ID = select(CommitteeMember).where(CommitteeMember.id.in_(bindparam("ids", expanding=True)))


def lines_for(session: Session, tally: Tally, targets: Iterable[Target], commune_name: str = "") -> list[TargetLine]:
    targets = list(targets)
    villages, members = _names(session, targets)
    lines = []
    for t in targets:
        if t.member_id is not None:
            member = members.get(t.member_id)
            lines.append(TargetLine(t, tally.progress(t), member.full_name if member else "?",
                                    villages.get(t.village_id)))
        else:
            unit = villages.get(t.village_id, "?") if t.village_id else commune_name
            lines.append(TargetLine(t, tally.progress(t), unit))
    return lines


def _current(today: date):
    return Target.deadline >= today - SHOWN_AFTER_DEADLINE


def sorted_targets(targets: Iterable[Target]) -> list[Target]:
    return sorted(targets, key=lambda t: (t.deadline, _order(t.indicator), t.period_start, t.id))


def commune_targets(session: Session, commune: Commune, *, current_on: Optional[date] = None) -> list[Target]:
    query = select(Target).where(Target.commune_id == commune.id, Target.village_id.is_(None),
                                 Target.member_id.is_(None))
    if current_on is not None:
        query = query.where(_current(current_on))
    return sorted_targets(session.exec(query).all())


_CHILDREN = select(Target).where(Target.parent_id.in_(bindparam("ids", expanding=True))).order_by(Target.id)


def children_of(session: Session, targets: list[Target]) -> dict[int, list[Target]]:
    ids = [t.id for t in targets]
    found: dict[int, list[Target]] = defaultdict(list)
    if ids:
        for child in session.exec(_CHILDREN, params={"ids": ids}).all():
            found[child.parent_id].append(child)
    return found


def gap_message(gap: int, parts: int, whole: int) -> Optional[str]:
    """What the split page and the target page say when the parts do not add up to the whole."""
    if gap == 0:
        return None
    if gap < 0:
        return _("Tổng các phần (%(x)s) chưa bằng chỉ tiêu (%(y)s); còn thiếu %(z)s.",
                 x=format_number(parts), y=format_number(whole), z=format_number(-gap))
    return _("Tổng các phần (%(x)s) chưa bằng chỉ tiêu (%(y)s); thừa %(z)s.",
             x=format_number(parts), y=format_number(whole), z=format_number(gap))


@dataclass
class TargetList:
    commune: Commune
    lines: list[TargetLine]
    gaps: dict[int, str]  # target id → "the parts do not add up" message


def split_warning(target: Target, children: list[Target]) -> Optional[str]:
    if not children or target.indicator == Indicator.BHYT_COVERAGE:
        return None
    parts = sum(c.value for c in children)
    return gap_message(split_gap([c.value for c in children], target.value), parts, target.value)


def target_list(session: Session, commune: Commune, today: date) -> TargetList:
    targets = commune_targets(session, commune)
    tally = Tally(session, commune.id, today)
    children = children_of(session, targets)
    gaps = {t.id: w for t in targets if (w := split_warning(t, children.get(t.id, [])))}
    return TargetList(commune, lines_for(session, tally, targets, commune.name), gaps)


@dataclass
class TargetPage:
    line: TargetLine
    commune: Commune
    parent: Optional[Target]
    children: list[TargetLine]
    warning: Optional[str]


def target_page(session: Session, target: Target, today: date) -> TargetPage:
    commune = session.get(Commune, target.commune_id)
    tally = Tally(session, target.commune_id, today)
    children = children_of(session, [target]).get(target.id, [])
    child_lines = lines_for(session, tally, children)
    child_lines.sort(key=lambda line: (-(line.progress.percent or -1), line.unit))
    return TargetPage(lines_for(session, tally, [target], commune.name)[0], commune,
                      session.get(Target, target.parent_id) if target.parent_id else None, child_lines,
                      split_warning(target, children))


# --- setting targets -----------------------------------------------------------------------------------------------

PERIOD_FIELDS = ("label", "period_kind", "period_start", "period_end", "deadline")


def _check_dates(values: dict) -> None:
    if values["period_end"] < values["period_start"]:
        raise TargetError(str(_l("Ngày kết thúc phải từ ngày bắt đầu trở đi; hãy sửa lại một trong hai ngày.")),
                          "period_end")
    if values["deadline"] < values["period_start"]:
        raise TargetError(str(_l("Hạn hoàn thành phải từ ngày bắt đầu trở đi; để trống để lấy ngày kết thúc.")),
                          "deadline")


def _check_unique(session: Session, commune_id: int, indicator: Indicator, values: dict,
                  target_id: Optional[int] = None) -> None:
    clash = session.exec(select(Target.id).where(
        Target.commune_id == commune_id, Target.village_id.is_(None), Target.member_id.is_(None),
        Target.indicator == indicator, Target.period_start == values["period_start"],
        Target.period_end == values["period_end"], Target.id != (target_id or 0))).first()
    if clash is not None:
        raise TargetError(str(_l("Xã đã có chỉ tiêu này cho đúng khoảng thời gian đó. Hãy mở chỉ tiêu đã có để sửa, "
                                 "hoặc chọn khoảng thời gian khác.")), "indicator")


def create_target(session: Session, commune: Commune, *, actor: User, **values) -> Target:
    """A commune target. ``values``: indicator, period_kind, label, period_start, period_end, deadline, value."""
    values["deadline"] = values.get("deadline") or values["period_end"]
    _check_dates(values)
    _check_unique(session, commune.id, values["indicator"], values)
    target = Target(commune_id=commune.id, created_by_id=actor.id, **values)
    session.add(target)
    session.flush()
    record(session, actor, "create", target, after=snapshot(target))
    return target


def _descendants(session: Session, target: Target) -> list[Target]:
    found, frontier = [], [target]
    while frontier:
        frontier = list(session.exec(select(Target).where(Target.parent_id.in_([t.id for t in frontier]))).all())
        found.extend(frontier)
    return found


def _update(session: Session, target: Target, changes: dict, actor: User) -> None:
    changes = {k: v for k, v in changes.items() if getattr(target, k) != v}
    if not changes:
        return
    before = snapshot(target, list(changes))
    for name, value in changes.items():
        setattr(target, name, value)
    session.add(target)
    session.flush()
    record(session, actor, "update", target, before=before, after=snapshot(target, list(changes)))


def update_target(session: Session, target: Target, *, actor: User, **values) -> Target:
    """Change a target. A split target's period goes down to its parts, which share it; a part changes only its value."""
    if target.parent_id is not None:
        _update(session, target, {"value": values["value"]}, actor)
        return target
    values["deadline"] = values.get("deadline") or values["period_end"]
    _check_dates(values)
    _check_unique(session, target.commune_id, target.indicator, values, target.id)
    _update(session, target, values, actor)
    period = {k: values[k] for k in PERIOD_FIELDS}
    for part in _descendants(session, target):
        _update(session, part, period, actor)
    return target


# --- splitting -----------------------------------------------------------------------------------------------------

BASES = ("ho", "tiem-nang", "deu")  # households, prospects, even


@dataclass
class SplitUnit:
    id: int
    name: str
    households: int
    prospects: int
    current: Optional[int]  # the value of the part already saved


@dataclass
class SplitPlan:
    target: Target
    level: str  # "village" or "member"
    unit_name: str  # of the whole: commune or village
    units: list[SplitUnit]
    basis: Optional[str]
    suggested: dict[int, int]
    prefill: dict[int, int]

    @property
    def is_rate(self) -> bool:
        return self.target.indicator == Indicator.BHYT_COVERAGE


PROSPECT_COLUMNS = (Person.birth_date, Person.birth_year, Person.sex, Person.bhyt_status, Person.bhyt_card_expiry,
                    Person.bhxh_status, Person.bhxh_paid_until)


def _prospect_rule(indicator: Indicator):
    if indicator == Indicator.NEW_BHXH_TN:
        return lambda c: c.prospect_bhxh
    if indicator == Indicator.NEW_BHYT_HGD:
        return lambda c: c.prospect_bhyt
    return lambda c: c.is_prospect


def _prospects(session: Session, key_column, condition, indicator: Indicator, today: date) -> dict[int, int]:
    """People of the unit the committee can still win for this indicator (not archived, outreach not stopped)."""
    is_prospect = _prospect_rule(indicator)
    rows = session.exec(
        select(key_column.label("key"), *PROSPECT_COLUMNS).join(Household, Household.id == Person.household_id)
        .where(condition, Person.archived_at.is_(None), Household.archived_at.is_(None),
               Household.outreach_stopped.is_(None))).all()
    found: dict[int, int] = defaultdict(int)
    for row in rows:
        # Only the columns coverage() reads: loading thousands of whole Person objects is what made this slow.
        if is_prospect(coverage(SimpleNamespace(**row._mapping), today)):
            found[row.key] += 1
    return found


def active_villages(session: Session, commune_id: int, today: date) -> list[Village]:
    return list(session.exec(select(Village).where(
        Village.commune_id == commune_id, or_(Village.valid_to.is_(None), Village.valid_to >= today))
        .order_by(Village.code)).all())


def active_members(session: Session, village_ids: list[int]) -> list[tuple[CommitteeMember, int]]:
    """(member, village id) of the villages' current committees, members who have not left."""
    if not village_ids:
        return []
    return list(session.exec(_ACTIVE_MEMBERS, params={"village_ids": list(village_ids)}).all())


_ACTIVE_MEMBERS = (  # built once
    select(CommitteeMember, Committee.village_id).join(Committee, Committee.id == CommitteeMember.committee_id)
    .where(Committee.village_id.in_(bindparam("village_ids", expanding=True)), Committee.dissolved_on.is_(None),
           CommitteeMember.left_on.is_(None))
    .order_by(Committee.village_id, CommitteeMember.is_head.desc(), CommitteeMember.id))


def _village_units(session: Session, target: Target, today: date) -> list[SplitUnit]:
    villages = active_villages(session, target.commune_id, today)
    ids = [v.id for v in villages]
    households = dict(session.exec(select(Household.village_id, func.count(Household.id)).where(
        Household.village_id.in_(ids), Household.archived_at.is_(None)).group_by(Household.village_id)).all()) \
        if ids else {}
    prospects = _prospects(session, Household.village_id, Household.village_id.in_(ids), target.indicator, today) \
        if ids else {}
    return [SplitUnit(v.id, v.name, households.get(v.id, 0), prospects.get(v.id, 0), None) for v in villages]


def _member_units(session: Session, target: Target, today: date) -> list[SplitUnit]:
    members = [m for m, _v in active_members(session, [target.village_id])]
    ids = [m.id for m in members]
    open_rows = and_(Assignment.household_id == Household.id, Assignment.valid_to.is_(None),
                     Assignment.member_id.in_(ids))
    households = dict(session.exec(select(Assignment.member_id, func.count(Household.id)).join(Assignment, open_rows)
                                   .where(Household.archived_at.is_(None)).group_by(Assignment.member_id)).all()) \
        if ids else {}
    prospects: dict[int, int] = defaultdict(int)
    if ids:
        rows = session.exec(select(Assignment.household_id, Assignment.member_id).where(
            Assignment.member_id.in_(ids), Assignment.valid_to.is_(None))).all()
        holder = dict(rows)
        for household_id, n in _prospects(session, Household.id, Household.id.in_(list(holder)), target.indicator,
                                          today).items():
            prospects[holder[household_id]] += n
    return [SplitUnit(m.id, m.full_name, households.get(m.id, 0), prospects.get(m.id, 0), None) for m in members]


def suggest(target: Target, units: list[SplitUnit], basis: str) -> dict[int, int]:
    """Parts by the basis: a rate is the same for every unit; a count is split by the largest remainder."""
    if target.indicator == Indicator.BHYT_COVERAGE:
        return {u.id: target.value for u in units}
    weights = {"ho": [u.households for u in units], "tiem-nang": [u.prospects for u in units]}.get(
        basis, [1] * len(units))
    return dict(zip([u.id for u in units], split_proportionally(target.value, weights)))


def split_plan(session: Session, target: Target, basis: Optional[str], today: date) -> SplitPlan:
    """The split page: one unit per active village (a commune target) or member (a village target), the parts already
    saved, and the parts the chosen basis suggests. Without a basis the saved parts are shown, else by households."""
    if target.village_id is None:
        level, units = "village", _village_units(session, target, today)
        unit_name = session.get(Commune, target.commune_id).name
    else:
        level, units = "member", _member_units(session, target, today)
        unit_name = session.get(Village, target.village_id).name
    key = (lambda t: t.village_id) if level == "village" else (lambda t: t.member_id)
    saved = {key(c): c.value for c in children_of(session, [target]).get(target.id, [])}
    for unit in units:
        unit.current = saved.get(unit.id)
    suggested = suggest(target, units, basis if basis in BASES else "ho")
    if basis in BASES or not saved:
        prefill = suggested
    else:
        prefill = {u.id: saved.get(u.id, 0) for u in units}
    return SplitPlan(target, level, unit_name, units, basis, suggested, prefill)


def save_split(session: Session, plan: SplitPlan, parts: dict[int, int], *, actor: User) -> list[Target]:
    """Create or update one part per unit (``parent_id`` = the split target). Parts that do not add up are kept:
    the target page says so (an official may hold some back, or hand out more than the whole on purpose)."""
    target = plan.target
    existing = {(c.member_id if plan.level == "member" else c.village_id): c
                for c in children_of(session, [target]).get(target.id, [])}
    saved = []
    for unit in plan.units:
        value = parts[unit.id]
        child = existing.get(unit.id)
        if child is not None:
            _update(session, child, {"value": value}, actor)
        else:
            child = Target(commune_id=target.commune_id, indicator=target.indicator, period_kind=target.period_kind,
                           label=target.label, period_start=target.period_start, period_end=target.period_end,
                           deadline=target.deadline, value=value, parent_id=target.id, created_by_id=actor.id,
                           village_id=target.village_id if plan.level == "member" else unit.id,
                           member_id=unit.id if plan.level == "member" else None)
            session.add(child)
            session.flush()
            record(session, actor, "create", child, after=snapshot(child))
        saved.append(child)
    return saved


def parts_warning(plan: SplitPlan, parts: dict[int, int]) -> Optional[str]:
    if plan.is_rate:
        return None
    total = sum(parts.values())
    return gap_message(total - plan.target.value, total, plan.target.value)


# --- the commune dashboard -----------------------------------------------------------------------------------------


@dataclass
class RankRow:
    rank: int
    village: Village
    line: Optional[TargetLine]  # None: the village has no part of the main target


@dataclass
class VillageWeek:
    village: Village
    week: Counts
    covered: int
    people: int
    missed_renewals: int

    @property
    def rate(self) -> Optional[int]:
        return rate_bp(self.covered, self.people)


@dataclass
class CoachLine:
    member: CommitteeMember
    village: str
    households: int
    last_visit: Optional[date]
    inactive: bool
    overdue: int
    oldest_due: Optional[date]
    lapsed: int
    dropouts: int


@dataclass
class Dashboard:
    home: OfficialHome
    today: date
    week_first: date
    week_last: date
    targets: list[TargetLine]
    main: Optional[TargetLine]
    ranking: list[RankRow]
    lagging_villages: list[TargetLine]
    lagging_members: list[TargetLine]
    gaps: list[tuple[TargetLine, str]]
    week: Counts
    villages: list[VillageWeek]
    coaching: list[CoachLine]
    covered: int = 0
    people: int = 0

    @property
    def rate(self) -> Optional[int]:
        return rate_bp(self.covered, self.people)

    @property
    def lagging_units(self) -> list[tuple[str, Optional[str], list[TargetLine]]]:
        """The lagging villages, then members, each once with every target they are behind on."""
        grouped: dict[tuple[str, Optional[str]], list[TargetLine]] = {}
        for line in self.lagging_villages + self.lagging_members:
            grouped.setdefault((line.unit, line.village), []).append(line)
        return [(unit, village, lines) for (unit, village), lines in grouped.items()]

    @property
    def coaching_first(self) -> list[CoachLine]:
        return self.coaching[:COACHING_SHOWN]

    @property
    def coaching_more(self) -> list[CoachLine]:
        return self.coaching[COACHING_SHOWN:]


def main_target(lines: list[TargetLine], today: date, requested: Optional[int]) -> Optional[TargetLine]:
    """The target villages are ranked by: the one asked for, else a running one (new participants first)."""
    for line in lines:
        if line.target.id == requested:
            return line
    running = [ln for ln in lines if ln.target.period_start <= today <= ln.target.deadline]
    pool = running or lines
    return min(pool, key=lambda ln: (_order(ln.target.indicator), ln.target.deadline, ln.target.id)) if pool else None


def rank_key(line: Optional[TargetLine], name: str) -> tuple:
    """Higher % of target first, then more achieved, then by name; villages without a part last."""
    if line is None:
        return (2, 0, 0, name)
    percent = line.progress.percent
    return (0 if percent is not None else 1, -(percent or 0), -line.progress.achieved, name)


def ranking(villages: list[Village], main: Optional[TargetLine], parts: dict[int, list[TargetLine]]) -> list[RankRow]:
    by_village = {ln.target.village_id: ln for ln in parts.get(main.target.id, [])} if main else {}
    ordered = sorted(villages, key=lambda v: rank_key(by_village.get(v.id), v.name))
    return [RankRow(i + 1, v, by_village.get(v.id)) for i, v in enumerate(ordered)]


def _missed_renewals(session: Session, village_ids: list[int], today: date) -> tuple[dict[int, int], dict[int, int],
                                                                                       dict[int, int]]:
    """Covers that lapsed in the last 30 days with neither a renewal nor a recorded drop-out (by village and by the
    member now responsible), and drop-outs recorded for covers ended in the last 30 days (by member)."""
    low = today - RENEWAL_WINDOW
    lapsed_v: dict[int, int] = defaultdict(int)
    lapsed_m: dict[int, int] = defaultdict(int)
    dropouts_m: dict[int, int] = defaultdict(int)
    if not village_ids:
        return lapsed_v, lapsed_m, dropouts_m
    params = {"village_ids": list(village_ids), "low": low, "today": today}
    rows = read_rows(session, _LAPSED, params)
    dropped = set(read_rows(session, _DROPPED, {"ids": [r[0] for r in rows]})) if rows else set()
    for person_id, village_id, member_id, bhyt, card, bhxh, paid in rows:
        for scheme, ends, held in ((Scheme.BHYT_HGD, card, bhyt == BhytStatus.HOUSEHOLD),
                                   (Scheme.BHXH_TN, paid, bhxh == BhxhStatus.VOLUNTARY)):
            if held and ends and low <= ends < today and (person_id, scheme, ends) not in dropped:
                lapsed_v[village_id] += 1
                if member_id:
                    lapsed_m[member_id] += 1
    for member_id, n in read_rows(session, _DROPOUTS_BY_MEMBER, params):
        dropouts_m[member_id] = n
    return lapsed_v, lapsed_m, dropouts_m


# The dashboard's statements, built once with bound parameters.
_LOW, _TODAY = (bindparam(name, type_=Person.bhyt_card_expiry.type) for name in ("low", "today"))
_LAPSED = (select(Person.id, Household.village_id, Assignment.member_id, Person.bhyt_status, Person.bhyt_card_expiry,
                  Person.bhxh_status, Person.bhxh_paid_until)
           .join(Household, Household.id == Person.household_id)
           .outerjoin(Assignment, and_(Assignment.household_id == Household.id, Assignment.valid_to.is_(None)))
           .where(Household.village_id.in_(bindparam("village_ids", expanding=True)), Person.archived_at.is_(None),
                  Household.archived_at.is_(None),
                  or_(and_(Person.bhyt_status == BhytStatus.HOUSEHOLD, Person.bhyt_card_expiry >= _LOW,
                           Person.bhyt_card_expiry < _TODAY),
                      and_(Person.bhxh_status == BhxhStatus.VOLUNTARY, Person.bhxh_paid_until >= _LOW,
                           Person.bhxh_paid_until < _TODAY))))
_DROPPED = select(Dropout.person_id, Dropout.scheme, Dropout.ended_on).where(
    Dropout.person_id.in_(bindparam("ids", expanding=True)))
_DROPOUTS_BY_MEMBER = (select(Dropout.member_id, func.count(Dropout.id)).join(Person, Person.id == Dropout.person_id)
                       .join(Household, Household.id == Person.household_id)
                       .where(Household.village_id.in_(bindparam("village_ids", expanding=True)),
                              Dropout.ended_on >= _LOW, Dropout.ended_on <= _TODAY, Dropout.member_id.is_not(None))
                       .group_by(Dropout.member_id))
_IN_COMMUNE = Household.village_id.in_(bindparam("village_ids", expanding=True))
_HELD = (select(Assignment.member_id, func.count(Assignment.id))
         .join(Household, Household.id == Assignment.household_id)
         .where(Assignment.member_id.in_(bindparam("member_ids", expanding=True)), Assignment.valid_to.is_(None),
                Household.archived_at.is_(None), _IN_COMMUNE)
         .group_by(Assignment.member_id))
# Each member's last visit as its own subquery: one probe of ix_visit_member_visited_at per member, where a GROUP BY
# over the members read all their visits (5–6 ms on a commune of the bench province).
_LAST_VISIT = select(CommitteeMember.id, select(func.max(Visit.visited_at))
                     .where(Visit.member_id == CommitteeMember.id).scalar_subquery()) \
    .where(CommitteeMember.id.in_(bindparam("member_ids", expanding=True)))
_OVERDUE = (select(FollowUp.member_id, func.count(FollowUp.id), func.min(FollowUp.due_on))
            .join(Household, Household.id == FollowUp.household_id)
            .where(FollowUp.member_id.in_(bindparam("member_ids", expanding=True)),
                   FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_on < _TODAY, Household.archived_at.is_(None),
                   _IN_COMMUNE)
            .group_by(FollowUp.member_id))


def _coaching(session: Session, villages: dict[int, Village], today: date,
              missed: tuple[dict, dict, dict]) -> list[CoachLine]:
    """Members who need a word: no visit in 14 days while holding households, overdue follow-ups, missed renewals."""
    members = active_members(session, list(villages))
    ids = [m.id for m, _v in members]
    if not ids:
        return []
    # The commune's villages bound the households read, not only the members: without it PostgreSQL's default
    # planner costs (random_page_cost = 4) read all 500,000 households of a province for this (57 ms, 2 ms with it).
    params = {"member_ids": ids, "village_ids": list(villages), "today": today}
    held = dict(read_rows(session, _HELD, params))
    last = dict(read_rows(session, _LAST_VISIT, params))
    overdue = {m: (n, due) for m, n, due in read_rows(session, _OVERDUE, params)}
    recent_from, _ = local_day_bounds(today - timedelta(days=INACTIVE_AFTER - 1), today)
    lines = []
    for member, village_id in members:
        seen = last.get(member.id)
        n, due = overdue.get(member.id, (0, None))
        line = CoachLine(member, villages[village_id].name, held.get(member.id, 0),
                         _local_date(seen), bool(held.get(member.id)) and (seen is None or seen < recent_from),
                         n, due, missed[1].get(member.id, 0), missed[2].get(member.id, 0))
        if line.inactive or line.overdue or line.lapsed or line.dropouts:
            lines.append(line)
    return sorted(lines, key=lambda ln: (not ln.inactive, -ln.overdue, -(ln.lapsed + ln.dropouts), ln.member.full_name))


def _local_date(instant) -> Optional[date]:
    return to_local(instant).date() if instant is not None else None


def commune_dashboard(session: Session, user: User, today: date, main_id: Optional[int] = None) -> Dashboard:
    """The official's home: the commune's targets and their progress, villages ranked by the main target, who is
    behind, the week's activity, coverage per village, members who need a word, and the village table."""
    tally = Tally(session, user.commune_id, today)
    cover, _cm = tally.coverage()
    home = official_home(session, user, people={v: n for v, (_c, n) in cover.items()})  # the same people, counted
    commune = home.commune
    villages = [row.village for row in home.villages]
    targets = commune_targets(session, commune, current_on=today)
    children = children_of(session, targets)
    week_first, week_last = iso_week(today)
    tally.prefetch([(week_first, min(today, week_last))] +
                   [w for t in targets + [c for cs in children.values() for c in cs] if (w := tally.target_window(t))])
    lines = lines_for(session, tally, targets, commune.name)
    village_parts = lines_for(session, tally, [c for t in targets for c in children.get(t.id, [])])
    parts: dict[int, list[TargetLine]] = defaultdict(list)
    for line in village_parts:
        parts[line.target.parent_id].append(line)
    grandchildren = children_of(session, [ln.target for ln in village_parts])
    member_parts = lines_for(session, tally, [g for ln in village_parts for g in grandchildren.get(ln.target.id, [])])
    main = main_target(lines, today, main_id)
    by_village, _by_member = tally.window(week_first, min(today, week_last))
    missed = _missed_renewals(session, [v.id for v in villages], today)
    return Dashboard(
        home=home, today=today, week_first=week_first, week_last=week_last, targets=lines, main=main,
        ranking=ranking(villages, main, parts),
        lagging_villages=sorted([ln for ln in village_parts if ln.lagging], key=lambda ln: (ln.unit, ln.target.id)),
        lagging_members=sorted([ln for ln in member_parts if ln.lagging], key=lambda ln: (ln.village or "", ln.unit)),
        gaps=[(ln, w) for ln in lines if (w := split_warning(ln.target, children.get(ln.target.id, [])))],
        week=sum((by_village.get(v.id, Counts()) for v in villages), Counts()),
        villages=[VillageWeek(v, by_village.get(v.id, Counts()), *cover.get(v.id, (0, 0)), missed[0].get(v.id, 0))
                  for v in villages],
        coaching=_coaching(session, {v.id: v for v in villages}, today, missed),
        covered=sum(c for c, _n in cover.values()), people=sum(n for _c, n in cover.values()),
    )


# --- the member's progress -----------------------------------------------------------------------------------------


@dataclass
class MemberProgress:
    member: Optional[CommitteeMember]
    village: Optional[Village]
    is_head: bool
    own: list[TargetLine]
    village_lines: list[TargetLine]
    week_first: date
    week_last: date
    week: Counts
    overdue: int


def member_progress(session: Session, user: User, today: date) -> MemberProgress:
    """A member's own shares and their village's targets, with the member's week (visits, enrolments)."""
    member = member_record(session, user)
    village = session.get(Village, user.village_id) if user.village_id else None
    week_first, week_last = iso_week(today)
    if village is None:
        return MemberProgress(member, None, False, [], [], week_first, week_last, Counts(), 0)
    tally = Tally(session, village.commune_id, today)
    rows = sorted_targets(session.exec(select(Target).where(Target.village_id == village.id, _current(today))).all())
    own = [t for t in rows if member is not None and t.member_id == member.id]
    _by_village, by_member = tally.window(week_first, min(today, week_last))
    overdue = session.exec(select(func.count(FollowUp.id)).where(
        FollowUp.member_id == member.id, FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_on < today)).one() \
        if member else 0
    return MemberProgress(
        member, village, is_village_head(session, user, village.id), lines_for(session, tally, own),
        lines_for(session, tally, [t for t in rows if t.member_id is None]), week_first, week_last,
        by_member.get(member.id, Counts()) if member else Counts(), overdue)


# --- emulation (thi đua) -------------------------------------------------------------------------------------------


@dataclass
class EmulationRow:
    rank: int
    name: str
    village: Optional[str]
    score: Optional[int]  # basis points: the mean of each target's % (each counted at most 100 %)
    lines: list[TargetLine]
    figures: Counts


@dataclass
class Emulation:
    commune: Commune
    province: Province
    first: date
    last: date
    as_of: date
    villages: list[EmulationRow]
    members: list[EmulationRow]


def score(lines: list[TargetLine]) -> Optional[int]:
    """Mean % of target over the unit's targets, each capped at 100 % (a target of 0 counts as reached)."""
    if not lines:
        return None
    return sum(min(ln.progress.percent if ln.progress.percent is not None else 10000, 10000) for ln in lines) \
        // len(lines)


def emulation_key(row: EmulationRow) -> tuple:
    """Score, then new participants, then visits: higher first; no target at all ranks after every score."""
    return (row.score is None, -(row.score or 0), -row.figures.new, -row.figures.visits)


def ranked(rows: list[EmulationRow]) -> list[EmulationRow]:
    """Sort and number: rows equal on score, new participants and visits share a rank (1, 2, 2, 4)."""
    rows = sorted(rows, key=lambda r: (emulation_key(r), r.name))
    for i, row in enumerate(rows):
        row.rank = rows[i - 1].rank if i and emulation_key(rows[i - 1]) == emulation_key(row) else i + 1
    return rows


def emulation(session: Session, commune: Commune, first: date, last: date, today: date) -> Emulation:
    """Villages and members ranked for [first, last]: targets whose period overlaps it, as they stood on its last
    day (or today, if sooner); new participants, renewals, sponsored books and cards and visits in the period."""
    as_of = min(last, today)
    tally = Tally(session, commune.id, as_of)
    villages = list(session.exec(select(Village).where(Village.commune_id == commune.id)).all())
    by_village, by_member = activity(session, [v.id for v in villages], first, as_of)
    targets = sorted_targets(session.exec(select(Target).where(
        Target.commune_id == commune.id, Target.village_id.is_not(None), Target.period_start <= last,
        Target.period_end >= first)).all())
    lines = lines_for(session, tally, targets)
    village_lines, member_lines = defaultdict(list), defaultdict(list)
    for line in lines:
        if line.target.member_id is None:
            village_lines[line.target.village_id].append(line)
        else:
            member_lines[line.target.member_id].append(line)
    live = [v for v in villages if v.valid_to is None or v.valid_to >= first]
    village_rows = [EmulationRow(0, v.name, None, score(village_lines[v.id]), village_lines[v.id],
                                 by_village.get(v.id, Counts())) for v in live]
    names = {v.id: v.name for v in villages}
    members = session.exec(
        select(CommitteeMember, Committee.village_id).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(Committee.village_id.in_(list(names)), CommitteeMember.joined_on <= last,
               or_(CommitteeMember.left_on.is_(None), CommitteeMember.left_on >= first),
               or_(Committee.dissolved_on.is_(None), Committee.dissolved_on >= first))).all() if names else []
    member_rows = [EmulationRow(0, m.full_name, names[v], score(member_lines[m.id]), member_lines[m.id],
                                by_member.get(m.id, Counts())) for m, v in members]
    return Emulation(commune, session.get(Province, commune.province_id), first, last, as_of, ranked(village_rows),
                     ranked(member_rows))
