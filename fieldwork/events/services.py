"""Outreach events: village meetings (hội nghị khách hàng), loudspeaker broadcasts and hand-over ceremonies, and
the enrolments that came from them. Services flush, never commit; every change is audited.

Who sees an event: officials their commune's; members their village's and the commune-wide ones (an event outside
scope answers 404). Who logs and corrects events: officials, for any village of their commune or the whole commune;
the head of a village's current committee, for that village only. Other members do not log events, so a meeting
that five members attended is logged once, by the head; they link their enrolments to it. Admins only read.

Dates: an event may be logged up to :data:`MAX_DAYS_AHEAD` days ahead (a planned meeting, its attendance filled in
afterwards), and not before its commune came into being (``Commune.valid_from``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from flask import abort
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import false, func, or_, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..labels import label
from ..models import (
    Committee,
    CommitteeMember,
    Commune,
    Enrolment,
    Household,
    OutreachEvent,
    OutreachKind,
    Person,
    Role,
    Scheme,
    User,
    Village,
)
from ..security import household_scope, village_scope
from ..text import format_date
from .forms import COMMUNE_WIDE

MAX_DAYS_AHEAD = 30
RECENT_DAYS = 60  # the enrolment forms offer the events of the last 60 days
PAGE_SIZE = 30
FIELDS = ("kind", "held_on", "village_id", "title", "attendance", "speakers", "notes")


class EventError(ValueError):
    """A change refused for a reason the user can fix; ``field`` names the form field to show it on."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- scope -------------------------------------------------------------------------------------------------------


def event_scope(user: User) -> ColumnElement[bool]:
    """Condition on ``OutreachEvent`` rows the user may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.OFFICIAL and user.commune_id is not None:
        return OutreachEvent.commune_id == user.commune_id
    if user.role == Role.MEMBER and user.village_id is not None:
        return _village_or_commune_wide(user.village_id)
    return false()


def _village_or_commune_wide(village_id: int) -> ColumnElement[bool]:
    """Condition on events of a village and the commune-wide events of its commune."""
    commune_id = select(Village.commune_id).where(Village.id == village_id).scalar_subquery()
    return (OutreachEvent.commune_id == commune_id) & or_(OutreachEvent.village_id == village_id,
                                                          OutreachEvent.village_id.is_(None))


def get_event_for_user(session: Session, user: User, event_id: int) -> OutreachEvent:
    event = session.exec(select(OutreachEvent).where(OutreachEvent.id == event_id, event_scope(user))).first()
    if event is None:
        abort(404)
    return event


@dataclass
class Authoring:
    """What a user may log events for: villages of one commune, and perhaps the whole commune."""

    commune_id: int
    villages: list[Village]
    commune_wide: bool

    def allows(self, village_id: Optional[int]) -> bool:
        if village_id is None:
            return self.commune_wide
        return any(v.id == village_id for v in self.villages)

    def may_edit(self, event: OutreachEvent) -> bool:
        return event.commune_id == self.commune_id and self.allows(event.village_id)

    def village_choices(self) -> list[tuple[str, str]]:
        if not self.commune_wide:
            return [(str(v.id), v.name) for v in self.villages]
        return [("", gettext("— Chọn thôn —")), (COMMUNE_WIDE, gettext("Toàn xã"))] + [
            (str(v.id), v.name) for v in self.villages]


def is_committee_head(session: Session, user: User) -> bool:
    """Whether ``user`` is the head of their village's current committee."""
    if user.role != Role.MEMBER or user.village_id is None:
        return False
    return session.exec(
        select(CommitteeMember.id).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(CommitteeMember.user_id == user.id, CommitteeMember.is_head == true(),
               CommitteeMember.left_on.is_(None), Committee.village_id == user.village_id,
               Committee.dissolved_on.is_(None))
    ).first() is not None


def authoring(session: Session, user: User) -> Optional[Authoring]:
    """What ``user`` may log events for, or None when they may not log events at all."""
    if user.role == Role.OFFICIAL and user.commune_id is not None:
        villages = session.exec(select(Village).where(Village.commune_id == user.commune_id)
                                .order_by(Village.code)).all()
        return Authoring(user.commune_id, list(villages), commune_wide=True)
    if is_committee_head(session, user):
        village = session.get(Village, user.village_id)
        return Authoring(village.commune_id, [village], commune_wide=False)
    return None


# --- creating and correcting -------------------------------------------------------------------------------------


def _check(session: Session, auth: Authoring, values: dict, today: date) -> None:
    if not auth.allows(values["village_id"]):
        if auth.commune_wide:
            message = _l("Thôn đã chọn không thuộc xã của bạn; hãy chọn một thôn trong danh sách hoặc “Toàn xã”.")
        else:
            message = _l("Trưởng ban chỉ ghi hoạt động của thôn mình; hãy chọn thôn của bạn. Hoạt động chung của xã "
                         "do cán bộ xã ghi.")
        raise EventError(str(message), "village")
    latest = today + timedelta(days=MAX_DAYS_AHEAD)
    if values["held_on"] > latest:
        raise EventError(str(_l("Chỉ ghi trước hoạt động sắp tổ chức trong vòng %(n)s ngày (đến %(d)s); hãy kiểm "
                                "tra lại ngày tổ chức.", n=MAX_DAYS_AHEAD, d=format_date(latest))), "held_on")
    earliest = session.get(Commune, auth.commune_id).valid_from
    if values["held_on"] < earliest:
        raise EventError(str(_l("Ngày tổ chức phải từ %(d)s trở đi, ngày xã bắt đầu hoạt động; hãy kiểm tra lại "
                                "năm.", d=format_date(earliest))), "held_on")


def create_event(session: Session, auth: Authoring, values: dict, *, actor: User, today: date) -> OutreachEvent:
    """Log an event from the form's ``values`` (kind, held_on, village_id, title, attendance, speakers, notes)."""
    _check(session, auth, values, today)
    event = OutreachEvent(commune_id=auth.commune_id, created_by_id=actor.id, **values)
    session.add(event)
    session.flush()
    record(session, actor, "create", event, after=snapshot(event))
    return event


def update_event(session: Session, auth: Authoring, event: OutreachEvent, values: dict, *, actor: User,
                 today: date) -> OutreachEvent:
    """Correct an event. It may not move to a village whose households are not those of its enrolments."""
    _check(session, auth, values, today)
    new_village = values["village_id"]
    if new_village is not None and new_village != event.village_id:
        others = session.exec(
            select(func.count(Enrolment.id)).join(Person, Person.id == Enrolment.person_id)
            .join(Household, Household.id == Person.household_id)
            .where(Enrolment.event_id == event.id, Household.village_id != new_village)
        ).one()
        if others:
            raise EventError(str(_l("Đã có %(n)s lượt tham gia của thôn khác ghi nhận từ hoạt động này, nên không "
                                    "chuyển được sang thôn đã chọn; hãy giữ thôn cũ hoặc chọn “Toàn xã”.",
                                    n=others)), "village")
    before = snapshot(event, list(FIELDS))
    for name in FIELDS:
        setattr(event, name, values[name])
    after = snapshot(event, list(FIELDS))
    if after == before:
        return event
    session.add(event)
    session.flush()
    changed = [k for k in FIELDS if before[k] != after[k]]
    record(session, actor, "update", event, before={k: before[k] for k in changed},
           after={k: after[k] for k in changed})
    return event


# --- what came of them -------------------------------------------------------------------------------------------


@dataclass
class EventSummary:
    """One event with the enrolments recorded from it: how many (one per person and scheme) and their amount
    (``amount_total``, VND), split by scheme."""

    event: OutreachEvent
    village: Optional[Village]  # None: commune-wide
    enrolments: int = 0
    amount: int = 0
    bhxh: int = 0
    bhyt: int = 0


def _summaries(session: Session, events: list[OutreachEvent], village_id: Optional[int] = None) -> list[EventSummary]:
    if not events:
        return []
    ids = [e.id for e in events]
    villages = {v.id: v for v in session.exec(
        select(Village).where(Village.id.in_({e.village_id for e in events if e.village_id}))).all()}
    summaries = {e.id: EventSummary(e, villages.get(e.village_id)) for e in events}
    query = (select(Enrolment.event_id, Enrolment.scheme, func.count(Enrolment.id), func.sum(Enrolment.amount_total))
             .where(Enrolment.event_id.in_(ids)).group_by(Enrolment.event_id, Enrolment.scheme))
    if village_id is not None:
        query = (query.join(Person, Person.id == Enrolment.person_id)
                 .join(Household, Household.id == Person.household_id).where(Household.village_id == village_id))
    for event_id, scheme, count, amount in session.exec(query).all():
        summary = summaries[event_id]
        summary.enrolments += int(count)
        summary.amount += int(amount or 0)
        if scheme == Scheme.BHXH_TN:
            summary.bhxh += int(count)
        else:
            summary.bhyt += int(count)
    return [summaries[e.id] for e in events]


def events_in_period(session: Session, commune_id: int, village_id: Optional[int], start: date,
                     end: date) -> list[EventSummary]:
    """The outreach events held from ``start`` to ``end`` (both included), oldest first, for the weekly report.

    ``village_id`` None: every event of the commune (each village's and the commune-wide ones), counting every
    enrolment recorded from it. A village: that village's events and the commune-wide ones, counting only the
    enrolments of people in that village's households, i.e. what the village got out of them. Enrolments count
    whenever they were recorded: they came from the event.
    """
    condition = OutreachEvent.commune_id == commune_id
    if village_id is not None:
        condition = condition & or_(OutreachEvent.village_id == village_id, OutreachEvent.village_id.is_(None))
    events = session.exec(select(OutreachEvent).where(condition, OutreachEvent.held_on.between(start, end))
                          .order_by(OutreachEvent.held_on, OutreachEvent.id)).all()
    return _summaries(session, list(events), village_id)


# --- the list ----------------------------------------------------------------------------------------------------


@dataclass
class EventListing:
    rows: list[EventSummary]
    total: int
    page: int
    pages: int
    kind: str  # "" or an OutreachKind value
    village: str  # "", COMMUNE_WIDE or a village id
    village_choices: list[tuple[str, str]] = field(default_factory=list)
    kind_choices: list[tuple[str, str]] = field(default_factory=list)
    communes: dict[int, str] = field(default_factory=dict)  # admins: which commune each event belongs to

    @property
    def args(self) -> dict:
        """The filters as query arguments, for the pager's links."""
        return {"loai": self.kind or None, "thon": self.village or None}


def _village_filter_choices(session: Session, user: User) -> list[tuple[str, str]]:
    if user.role == Role.ADMIN:
        return []  # the whole deployment: too many villages for one select
    villages = session.exec(select(Village).where(village_scope(user)).order_by(Village.code)).all()
    return [(COMMUNE_WIDE, gettext("Toàn xã"))] + [(str(v.id), v.name) for v in villages]


def list_events(session: Session, user: User, *, kind: Optional[str], village: Optional[str],
                page: int = 1) -> EventListing:
    """The events in ``user``'s scope, newest first, filtered by kind and village (unknown filters are ignored)."""
    village_choices = _village_filter_choices(session, user)
    kind = kind if kind in {k.value for k in OutreachKind} else ""
    village = village if village in {value for value, _name in village_choices} else ""
    conditions = [event_scope(user)]
    if kind:
        conditions.append(OutreachEvent.kind == OutreachKind(kind))
    if village == COMMUNE_WIDE:
        conditions.append(OutreachEvent.village_id.is_(None))
    elif village:
        conditions.append(OutreachEvent.village_id == int(village))
    total = session.exec(select(func.count(OutreachEvent.id)).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = session.exec(select(OutreachEvent).where(*conditions)
                          .order_by(OutreachEvent.held_on.desc(), OutreachEvent.id.desc())
                          .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    communes = {}
    if user.role == Role.ADMIN and events:
        communes = dict(session.exec(select(Commune.id, Commune.name)
                                     .where(Commune.id.in_({e.commune_id for e in events}))).all())
    return EventListing(_summaries(session, list(events)), total, page, pages, kind, village, village_choices,
                        [(k.value, label(k)) for k in OutreachKind], communes)


# --- one event ---------------------------------------------------------------------------------------------------


@dataclass
class EnrolmentLine:
    enrolment: Enrolment
    person: Optional[Person]  # None when the person is outside the viewer's scope: no name is shown
    village: Village
    recorded_by: Optional[str]


@dataclass
class EventPage:
    summary: EventSummary
    commune: Commune
    created_by: Optional[str]
    lines: list[EnrolmentLine]
    can_edit: bool

    @property
    def event(self) -> OutreachEvent:
        return self.summary.event


def event_page(session: Session, user: User, event: OutreachEvent) -> EventPage:
    rows = session.exec(
        select(Enrolment, Person, Household, Village)
        .join(Person, Person.id == Enrolment.person_id).join(Household, Household.id == Person.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(Enrolment.event_id == event.id).order_by(Enrolment.created_at, Enrolment.id)
    ).all()
    household_ids = {h.id for _e, _p, h, _v in rows}
    visible = set(session.exec(select(Household.id).where(Household.id.in_(household_ids),
                                                          household_scope(user))).all()) if rows else set()
    user_ids = {e.recorded_by_id for e, *_ in rows} | {event.created_by_id}
    names = dict(session.exec(select(User.id, User.display_name).where(User.id.in_(user_ids - {None})))
                 .all()) if user_ids - {None} else {}
    lines = [EnrolmentLine(e, p if h.id in visible else None, v, names.get(e.recorded_by_id)) for e, p, h, v in rows]
    auth = authoring(session, user)
    return EventPage(_summaries(session, [event])[0], session.get(Commune, event.commune_id),
                     names.get(event.created_by_id), lines, can_edit=auth is not None and auth.may_edit(event))


# --- for the enrolment forms -------------------------------------------------------------------------------------


def event_for_household(session: Session, household: Household, event_id: int) -> Optional[OutreachEvent]:
    """The event ``event_id`` if an enrolment of ``household`` may come from it (an event of the household's
    village, or a commune-wide one of its commune), else None."""
    return session.exec(select(OutreachEvent).where(OutreachEvent.id == event_id,
                                                    _village_or_commune_wide(household.village_id))).first()


def recent_event_choices(session: Session, household: Household, today: date) -> list[tuple[str, str]]:
    """The "from event" choices of an enrolment: "none", then the events held in the last 60 days in the
    household's village or commune-wide in its commune, newest first."""
    events = session.exec(
        select(OutreachEvent).where(
            _village_or_commune_wide(household.village_id),
            OutreachEvent.held_on.between(today - timedelta(days=RECENT_DAYS), today))
        .order_by(OutreachEvent.held_on.desc(), OutreachEvent.id.desc())
    ).all()
    choices = [("", gettext("— Không —"))]
    for event in events:
        where = f" ({gettext('toàn xã')})" if event.village_id is None else ""
        choices.append((str(event.id), f"{format_date(event.held_on)} · {event.title}{where}"))
    return choices

