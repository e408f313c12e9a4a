"""The member's worklist: their households, ordered by what to do first, each with the reasons it is there.

1. follow-ups due today or overdue; 2. a BHYT card or a paid BHXH period that ends within 30 days (or ended in the
last 30 days without renewal); 3. prospects never visited; 4. not visited for 30 days or more; 5. the rest, soonest
planned revisit first. Households whose outreach stopped (moved away, asked not to be contacted) and archived ones
are left out. Computed in a handful of queries over the member's own households.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from ..db import read_rows

from ..i18n import translator
from ..labels import label
from ..models import (
    Assignment,
    BhxhStatus,
    BhytStatus,
    CommitteeMember,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    Person,
    Visit,
)
from ..text import fold, format_date

RENEWAL_WINDOW = timedelta(days=30)
STALE_AFTER = timedelta(days=30)

TIER_FOLLOW_UP, TIER_RENEWAL, TIER_NEVER_VISITED, TIER_STALE, TIER_REST = 1, 2, 3, 4, 5


# What the worklist reads of a person (``households.services.coverage`` and the reasons).
PERSON_COLUMNS = (Person.id, Person.household_id, Person.full_name, Person.birth_date, Person.birth_year, Person.sex,
                  Person.bhyt_status, Person.bhyt_card_expiry, Person.bhxh_status, Person.bhxh_paid_until)


@dataclass
class WorkItem:
    household: Household  # a row with id, code, head_name and hamlet_group
    tier: int
    reasons: list[str] = field(default_factory=list)
    sort_key: tuple = ()
    last_visit: Optional[datetime] = None
    next_date: Optional[date] = None
    people: int = 0


@dataclass
class Worklist:
    items: list[WorkItem]
    counts: dict[int, int]
    groups: list[str]
    total: int


def _renewal_reason(person: Person, today: date, _) -> Optional[tuple[date, str]]:
    candidates = []
    if person.bhyt_status == BhytStatus.HOUSEHOLD and person.bhyt_card_expiry:
        candidates.append((person.bhyt_card_expiry, "BHYT"))
    if person.bhxh_status == BhxhStatus.VOLUNTARY and person.bhxh_paid_until:
        candidates.append((person.bhxh_paid_until, "BHXH"))
    for ends, scheme in sorted(candidates):
        if today - RENEWAL_WINDOW <= ends <= today + RENEWAL_WINDOW:
            if ends < today:
                return ends, _("%(scheme)s của %(name)s đã hết hạn %(d)s, chưa đóng tiếp",
                               scheme=scheme, name=person.full_name, d=format_date(ends))
            return ends, _("%(scheme)s của %(name)s hết hạn %(d)s", scheme=scheme, name=person.full_name,
                           d=format_date(ends))
    return None


def _follow_up_reason(follow_up: FollowUp, today: date, _) -> str:
    late = (today - follow_up.due_on).days
    what = label(follow_up.kind)
    if late > 0:
        return _("%(what)s — quá hạn %(n)s ngày", what=what, n=late)
    return _("%(what)s — hôm nay", what=what)


# The worklist's statements, built once with bound parameters, and read as plain rows (``db.read_rows``).
_HOUSEHOLDS = (select(Household.id, Household.code, Household.head_name, Household.hamlet_group)
               .join(Assignment, Assignment.household_id == Household.id)
               .where(Assignment.member_id == bindparam("member_id"), Assignment.valid_to.is_(None),
                      Household.archived_at.is_(None), Household.outreach_stopped.is_(None)))
_PEOPLE = (select(*PERSON_COLUMNS).where(Person.household_id.in_(bindparam("ids", expanding=True)),
                                         Person.archived_at.is_(None)).order_by(Person.id))
_FOLLOW_UPS = (select(FollowUp.household_id, FollowUp.kind, FollowUp.due_on)
               .where(FollowUp.household_id.in_(bindparam("ids", expanding=True)),
                      FollowUp.status == FollowUpStatus.OPEN)
               .order_by(FollowUp.id))
_LAST_VISITS = (select(Visit.household_id, func.max(Visit.visited_at))
                .where(Visit.household_id.in_(bindparam("ids", expanding=True)))
                .group_by(Visit.household_id))


def worklist(session: Session, member: CommitteeMember, today: date, *, group: Optional[str] = None,
             query: Optional[str] = None, tier: Optional[int] = None, rows_only: bool = False) -> Worklist:
    """``rows_only``: only ``items`` will be shown (the rows htmx asks for as the member types), so the households
    that the group and the search leave out are not worked out; ``counts`` then covers the rows shown only."""
    # Plain rows, not ORM objects: a member holds ~40 households, ~150 people and their open follow-ups, and
    # building ORM instances for them was half the page's time. Rows answer the same attribute names.
    households = read_rows(session, _HOUSEHOLDS, {"member_id": member.id})
    ids = [h.id for h in households]
    if not ids:
        return Worklist(items=[], counts={}, groups=[], total=0)
    people = defaultdict(list)
    for person in read_rows(session, _PEOPLE, {"ids": ids}):
        people[person.household_id].append(person)
    follow_ups = defaultdict(list)
    for f in read_rows(session, _FOLLOW_UPS, {"ids": ids}):
        follow_ups[f.household_id].append(f)
    last_visits = dict(read_rows(session, _LAST_VISITS, {"ids": ids}))
    _ = translator()
    groups = sorted({h.hamlet_group for h in households if h.hamlet_group})
    shown = households
    if group:
        shown = [h for h in shown if h.hamlet_group == group]
    if query:
        needle = fold(query)
        shown = [h for h in shown if needle in fold(f"{h.head_name} {h.code}")
                 or any(needle in fold(p.full_name) for p in people[h.id])]
    # The tier counts of the whole page are over every household held, whatever the filters.
    items = [_item(h, people[h.id], follow_ups[h.id], _aware(last_visits.get(h.id)), today, _)
             for h in (shown if rows_only else households)]
    counts = defaultdict(int)
    for item in items:
        counts[item.tier] += 1
    if not rows_only and shown is not households:
        kept = {h.id for h in shown}
        items = [i for i in items if i.household.id in kept]
    if tier:
        items = [i for i in items if i.tier == tier]
    items.sort(key=lambda i: (i.tier, i.sort_key, i.household.code))
    return Worklist(items=items, counts=dict(counts), groups=groups, total=len(households))


def _aware(value):
    from datetime import timezone

    if value is not None and value.tzinfo is None:  # SQLite returns aggregates without the column's type
        return value.replace(tzinfo=timezone.utc)
    return value


def _item(household, people: list, follow_ups: list, last_visit, today: date, _) -> WorkItem:
    from ..households.services import is_prospect  # here: households → assignments → worklist would be a cycle

    item = WorkItem(household=household, tier=TIER_REST, last_visit=last_visit, people=len(people))
    due = sorted((f for f in follow_ups if f.due_on <= today), key=lambda f: f.due_on)
    upcoming = sorted(f.due_on for f in follow_ups if f.due_on > today and f.kind == FollowUpKind.REVISIT)
    item.next_date = upcoming[0] if upcoming else None
    renewals = sorted(r for r in (_renewal_reason(p, today, _) for p in people) if r)
    prospects = sum(1 for p in people if is_prospect(p, today))
    days_since = (today - last_visit.date()).days if last_visit else None
    if due:
        item.tier, item.sort_key = TIER_FOLLOW_UP, (due[0].due_on,)
        item.reasons += [_follow_up_reason(f, today, _) for f in due]
    if renewals:
        if item.tier == TIER_REST:
            item.tier, item.sort_key = TIER_RENEWAL, (renewals[0][0],)
        item.reasons += [text for _ends, text in renewals]
    if last_visit is None and prospects:
        if item.tier == TIER_REST:
            item.tier, item.sort_key = TIER_NEVER_VISITED, ()
        item.reasons.append(_("%(n)s người cần vận động, chưa đến lần nào", n=prospects))
    elif days_since is not None and days_since >= STALE_AFTER.days and item.next_date is None:
        if item.tier == TIER_REST:
            item.tier, item.sort_key = TIER_STALE, (last_visit,)
        item.reasons.append(_("Chưa đến %(n)s ngày", n=days_since))
    if item.tier == TIER_REST:
        item.sort_key = (item.next_date or date.max, last_visit.timestamp() if last_visit else 0)
        if item.next_date:
            item.reasons.append(_("Hẹn thăm lại %(d)s", d=format_date(item.next_date)))
        elif last_visit:
            item.reasons.append(_("Đã đến %(d)s", d=format_date(last_visit)))
        else:
            item.reasons.append(_("Chưa đến lần nào"))
    return item
