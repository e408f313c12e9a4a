"""Logging visits and the follow-ups they create. Services flush, never commit.

A visit carries a UUID made where it was first filled in: sending the same visit twice records it once (a replay
with the same content is a success; the same UUID with different content is a conflict, never an overwrite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from ..audit import audit_event, record, snapshot
from ..db import insert_rows, read_rows
from ..models import (
    Assignment,
    AttentionReason,
    Channel,
    CommitteeMember,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    Person,
    RefusalReason,
    Role,
    Scheme,
    User,
    Visit,
    VisitAttention,
    VisitOutcome,
    VisitPerson,
    utcnow,
)

MEMBER_EDIT_WINDOW = timedelta(hours=24)
DEFAULT_REVISIT_DAYS = {VisitOutcome.CONSIDERING: 7, VisitOutcome.NOT_HOME: 1}
SPONSOR_FOLLOW_UP_DAYS = 7
ENROLMENT_FOLLOW_UP_DAYS = 3
STOPS_OUTREACH = {VisitOutcome.MOVED_AWAY: "moved_away", VisitOutcome.DO_NOT_CONTACT: "do_not_contact"}
ATTENTION_LABELS = {
    AttentionReason.REASSIGNED: _l("Hộ đã được giao cho người khác trước khi lần vận động được gửi lên"),
    AttentionReason.ARCHIVED: _l("Hộ đã được lưu trữ trước khi lần vận động được gửi lên"),
    AttentionReason.CONFLICT: _l("Gửi lại với nội dung khác bản đã ghi"),
}


class VisitError(ValueError):
    def __init__(self, message: str, field: Optional[str] = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class VisitConflict(VisitError):
    """The UUID is already recorded with other content: ``visit`` is what is kept, ``sent`` what arrived."""

    def __init__(self, visit: Visit, sent: dict):
        super().__init__(str(_l("Lần vận động này đã được gửi trước đó với nội dung khác; hệ thống giữ bản đã ghi. "
                                "Hãy mở lại hộ và ghi một lần mới nếu cần.")), None, status=409)
        self.visit = visit
        self.sent = sent


@dataclass
class VisitInput:
    uuid: str
    outcome: VisitOutcome
    visited_at: datetime
    reason: Optional[RefusalReason] = None
    scheme: Optional[Scheme] = None
    channel: Channel = Channel.HOME
    met_person: Optional[str] = None
    notes: Optional[str] = None
    next_date: Optional[date] = None
    person_ids: tuple[int, ...] = ()

    def content(self) -> dict:
        """What makes two submissions "the same visit" (the UUID aside)."""
        return {
            "outcome": self.outcome.value, "reason": self.reason.value if self.reason else None,
            "scheme": self.scheme.value if self.scheme else None, "channel": self.channel.value,
            "met_person": self.met_person or None, "notes": self.notes or None,
            "next_date": self.next_date.isoformat() if self.next_date else None,
            "person_ids": sorted(self.person_ids),
        }


def default_next_date(outcome: VisitOutcome, today: date) -> Optional[date]:
    days = DEFAULT_REVISIT_DAYS.get(outcome)
    return today + timedelta(days=days) if days else None


def normalised(data: VisitInput, today: date) -> VisitInput:
    """The visit as it will be stored: the default revisit date filled in, fields that don't apply dropped."""
    from dataclasses import replace

    revisit = data.outcome in DEFAULT_REVISIT_DAYS
    return replace(
        data,
        reason=data.reason if data.outcome == VisitOutcome.REFUSED else None,
        scheme=data.scheme if data.outcome == VisitOutcome.AGREED else None,
        next_date=(data.next_date or default_next_date(data.outcome, today)) if revisit else None,
        person_ids=tuple(sorted(set(data.person_ids))),
    )


def _visit_content(session: Session, visit: Visit) -> dict:
    people = session.exec(select(VisitPerson.person_id).where(VisitPerson.visit_id == visit.id)).all()
    return {
        "outcome": visit.outcome.value, "reason": visit.reason.value if visit.reason else None,
        "scheme": visit.scheme.value if visit.scheme else None, "channel": visit.channel.value,
        "met_person": visit.met_person or None, "notes": visit.notes or None,
        "next_date": visit.next_date.isoformat() if visit.next_date else None, "person_ids": sorted(people),
    }


def _validate(session: Session, household: Household, data: VisitInput, today: date) -> None:
    if data.outcome == VisitOutcome.REFUSED and data.reason is None:
        raise VisitError(str(_l("Hãy chọn lý do từ chối.")), "reason")
    if data.outcome in DEFAULT_REVISIT_DAYS and data.next_date is not None and data.next_date < today:
        raise VisitError(str(_l("Ngày hẹn thăm lại không được ở quá khứ; hãy chọn từ hôm nay trở đi.")), "next_date")
    if data.person_ids:
        found = session.exec(
            select(Person.id).where(Person.id.in_(data.person_ids), Person.household_id == household.id)
        ).all()
        if len(set(found)) != len(set(data.person_ids)):
            raise VisitError(str(_l("Chỉ chọn người thuộc hộ này.")), "person_ids")


def _follow_ups_for(visit: Visit, data: VisitInput, member: CommitteeMember, actor: User,
                    today: date) -> list[FollowUp]:
    def make(kind: FollowUpKind, due: date, person_id: Optional[int] = None) -> FollowUp:
        return FollowUp(household_id=visit.household_id, person_id=person_id, member_id=member.id,
                        visit_id=visit.id, kind=kind, due_on=due, created_by_id=actor.id)

    if data.outcome in DEFAULT_REVISIT_DAYS:
        return [make(FollowUpKind.REVISIT, visit.next_date)]
    if data.outcome == VisitOutcome.REFUSED and data.reason == RefusalReason.CANNOT_AFFORD:
        people = data.person_ids or (None,)
        return [make(FollowUpKind.NEEDS_SPONSOR, today + timedelta(days=SPONSOR_FOLLOW_UP_DAYS), pid)
                for pid in people]
    if data.outcome == VisitOutcome.AGREED:
        people = data.person_ids or (None,)
        return [make(FollowUpKind.COMPLETE_ENROLMENT, today + timedelta(days=ENROLMENT_FOLLOW_UP_DAYS), pid)
                for pid in people]
    return []


def _close_open_revisits(session: Session, household_id: int, cancel_everything: bool = False) -> None:
    """A new visit is the revisit that was due; "do not contact" ends every open task of the household.

    A Core UPDATE on the session's connection, built once: the ORM's bulk update (its autoflush and in-memory
    evaluation) cost more than the statement. Follow-ups of the household already loaded in the session are expired,
    so they are read again if used."""
    if any(isinstance(added, FollowUp) for added in session.new):
        session.flush()  # a follow-up added and not yet written is closed too, as the ORM's update would
    session.connection().execute(_CLOSE[cancel_everything], {"of_household": household_id, "closing_at": utcnow()})
    for held in list(session.identity_map.values()):
        if isinstance(held, FollowUp) and held.household_id == household_id:
            session.expire(held)


def _closing(cancel_everything: bool):
    table = FollowUp.__table__
    kinds = list(FollowUpKind) if cancel_everything else [FollowUpKind.REVISIT]
    return (update(table)
            .where(table.c.household_id == bindparam("of_household"), table.c.status == FollowUpStatus.OPEN,
                   table.c.kind.in_(kinds))
            .values(status=FollowUpStatus.CANCELLED if cancel_everything else FollowUpStatus.DONE,
                    closed_at=bindparam("closing_at", type_=table.c.closed_at.type)))


_CLOSE = {everything: _closing(everything) for everything in (False, True)}


@dataclass
class LogResult:
    visit: Visit
    created: bool  # False: a replay of a visit already recorded
    attention: Optional[AttentionReason] = None  # set when an official must look at the visit


def _stored(session: Session, uuid: str) -> Optional[Visit]:
    return session.exec(select(Visit).where(Visit.uuid == uuid)).first()


def _replay(session: Session, household: Household, data: VisitInput, today: date) -> LogResult:
    """The answer to a visit whose UUID is stored: the visit, if the same content came again; else a conflict."""
    existing = _stored(session, data.uuid)
    stored, sent = _visit_content(session, existing), normalised(data, today).content()
    if data.next_date is None:
        sent["next_date"] = stored["next_date"]
    if existing.household_id == household.id and stored == sent:
        return LogResult(existing, created=False, attention=open_attention(session, existing))
    raise VisitConflict(existing, {"household_id": household.id, **sent})


_VISIT_COLUMNS = [c for c in Visit.__table__.columns if c.name != "id"]


_NEW_VISIT: dict = {}  # per dialect, built once


def _insert_new(session: Session, visit: Visit) -> Optional[int]:
    """INSERT … ON CONFLICT (uuid) DO NOTHING RETURNING id (SQLite ≥ 3.35 and PostgreSQL): the new visit's id, or
    None when the UUID is stored already."""
    dialect = session.get_bind().dialect.name
    statement = _NEW_VISIT.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = _NEW_VISIT[dialect] = insert(Visit.__table__).on_conflict_do_nothing(index_elements=["uuid"]) \
            .returning(Visit.__table__.c.id)
    values = {c.name: getattr(visit, c.name) for c in _VISIT_COLUMNS}
    return session.connection().execute(statement, values).scalar()


def log_visit(session: Session, household: Household, member: CommitteeMember, data: VisitInput, *,
              actor: User, today: date, attention: Optional[AttentionReason] = None) -> LogResult:
    """Record a visit and its follow-ups; a replay with the same UUID and content returns the visit recorded.

    A replay is recognised before anything else is checked: it may arrive days later from a phone that was
    offline, when its revisit date is already past. A replay that left the date to its default matches any date.
    With ``attention`` (the household was reassigned or archived while the phone was offline) the visit is kept as
    it was sent but changes nothing else: no follow-ups, the household stays where it is; an official decides.
    """
    try:
        _validate(session, household, data, today)
    except VisitError:
        if _stored(session, data.uuid) is None:
            raise
        # A stored UUID is a replay even if it would no longer pass (its revisit date now past): answered as one.
        return _replay(session, household, data, today)
    sent = data
    data = normalised(data, today)
    visit = Visit(uuid=data.uuid, household_id=household.id, member_id=member.id, visited_at=data.visited_at,
                  outcome=data.outcome, reason=data.reason, scheme=data.scheme, channel=data.channel,
                  met_person=data.met_person or None, notes=data.notes or None, next_date=data.next_date,
                  created_by_id=actor.id)
    # One statement stores the visit unless its UUID is known: a replay, a double tap, or the phone's queue and the
    # form at once (the other request stored it first). No lookup before, no savepoint around it: the UUID's unique
    # index decides, and the request's other work is never undone by a duplicate.
    visit.id = _insert_new(session, visit)
    if visit.id is None:
        return _replay(session, household, sent, today)
    # Rows nobody reads in this request go in as Core INSERTs (db.insert_rows): the people, the follow-ups, the audit
    # line. The household's own change and a visit's attention stay with the ORM.
    rows: list = [VisitPerson(visit_id=visit.id, person_id=pid) for pid in data.person_ids]
    if attention is not None:
        session.add(VisitAttention(visit_id=visit.id, reason=attention))
    else:
        _close_open_revisits(session, household.id, cancel_everything=data.outcome == VisitOutcome.DO_NOT_CONTACT)
        rows += _follow_ups_for(visit, data, member, actor, today)
        if data.outcome in STOPS_OUTREACH:
            household.outreach_stopped = STOPS_OUTREACH[data.outcome]
            household.outreach_stopped_at = utcnow()
            session.add(household)
    rows.append(audit_event(actor, "create", visit,
                            after={**snapshot(visit), "attention": attention.value if attention else None}))
    insert_rows(session, rows)
    if session.new or session.dirty:
        session.flush()
    return LogResult(visit, created=True, attention=attention)


# --- visits that arrive late from a phone ------------------------------------------------------------------------


def household_for_member(session: Session, household_id: int,
                         member: CommitteeMember) -> Optional[tuple[Household, bool, bool]]:
    """A household a late visit names, with whether it was ever ``member``'s and whether it is theirs now: one
    statement (the phone's queue asks for each visit it sends). None when there is no such household."""
    row = session.exec(_HOUSEHOLD_FOR_MEMBER, params={"household_id": household_id, "member_id": member.id}).first()
    return None if row is None else (row[0], bool(row[1]), bool(row[2]))


def _household_for_member():
    from sqlalchemy import exists

    def held(*current) -> object:
        return exists().where(Assignment.household_id == Household.id,
                              Assignment.member_id == bindparam("member_id"), *current)

    return select(Household, held(), held(Assignment.valid_to.is_(None))).where(
        Household.id == bindparam("household_id"))


_HOUSEHOLD_FOR_MEMBER = _household_for_member()


def attention_needed(household: Household, holds_it_now: bool) -> Optional[AttentionReason]:
    """Why a visit arriving now for ``household`` must be looked at by an official, if it must: the household was
    archived or merged, or it is no longer the sender's (``holds_it_now``, from :func:`household_for_member`)."""
    if household.archived_at is not None or household.merged_into_id is not None:
        return AttentionReason.ARCHIVED
    return None if holds_it_now else AttentionReason.REASSIGNED


def open_attention(session: Session, visit: Visit) -> Optional[AttentionReason]:
    return session.exec(select(VisitAttention.reason).where(
        VisitAttention.visit_id == visit.id, VisitAttention.resolved_at.is_(None),
        VisitAttention.reason != AttentionReason.CONFLICT,
    )).first()


def record_conflict(session: Session, conflict: VisitConflict) -> VisitAttention:
    """Keep what the phone sent next to the stored visit, once per distinct content, for an official to read."""
    for row in session.exec(select(VisitAttention).where(
        VisitAttention.visit_id == conflict.visit.id, VisitAttention.reason == AttentionReason.CONFLICT
    )).all():
        if row.payload == conflict.sent:
            return row
    row = VisitAttention(visit_id=conflict.visit.id, reason=AttentionReason.CONFLICT, payload=conflict.sent)
    session.add(row)
    session.flush()
    return row


@dataclass
class AttentionRow:
    attention: VisitAttention
    visit: Visit
    household: Household
    member: CommitteeMember


def attention_rows(session: Session, user: User, *, limit: Optional[int] = None) -> list[AttentionRow]:
    """The visits waiting for an official's look, in the user's scope, newest first."""
    from ..security import household_scope

    query = (select(VisitAttention, Visit, Household, CommitteeMember)
             .join(Visit, Visit.id == VisitAttention.visit_id)
             .join(Household, Household.id == Visit.household_id)
             .join(CommitteeMember, CommitteeMember.id == Visit.member_id)
             .where(VisitAttention.resolved_at.is_(None), household_scope(user))
             .order_by(VisitAttention.created_at.desc(), VisitAttention.id.desc()))
    return [AttentionRow(*row) for row in session.exec(query.limit(limit) if limit else query).all()]


def attention_count(session: Session, user: User) -> int:
    """Visits waiting for an official in the user's scope. Asked from the waiting rows (few, through
    ``ix_visit_attention_open``), each checked against the scope: joined the other way round, SQLite read every visit
    of the commune's households to find them (6.6 ms for a commune of the bench province, on every official page)."""
    from ..security import scope_parameters

    kind, params = scope_parameters(user)
    return read_rows(session, _attention_count_query(kind), params)[0][0]


@lru_cache(maxsize=None)
def _attention_count_query(kind: str):
    """``attention_count``'s statement for one kind of scope, built once (it runs on every official page built)."""
    from sqlalchemy import exists, func

    from ..security import household_condition

    in_scope = (select(Visit.id).join(Household, Household.id == Visit.household_id)
                .where(Visit.id == VisitAttention.visit_id,
                       household_condition(kind, bindparam("commune_id"), bindparam("village_id"))))
    return select(func.count(VisitAttention.id)).where(VisitAttention.resolved_at.is_(None), exists(in_scope))


def resolve_attention(session: Session, row: VisitAttention, *, actor: User) -> None:
    """An official has looked at the visit and done what was needed (reassigned, corrected, or nothing)."""
    row.resolved_at, row.resolved_by_id = utcnow(), actor.id
    session.add(row)
    session.flush()
    record(session, actor, "resolve_attention", row, after=snapshot(row))


def can_correct(visit: Visit, user: User, member: Optional[CommitteeMember], now: datetime) -> bool:
    """Members correct their own visits for 24 hours; officials and admins at any time (audited)."""
    if user.role in (Role.OFFICIAL, Role.ADMIN):
        return True
    return member is not None and visit.member_id == member.id and now - visit.created_at <= MEMBER_EDIT_WINDOW


def correct_visit(session: Session, visit: Visit, household: Household, data: VisitInput, *, actor: User,
                  today: date) -> Visit:
    """Change a visit's outcome and details; the follow-ups it created are replaced by the new outcome's."""
    _validate(session, household, data, today)
    data = normalised(data, today)
    before = {**snapshot(visit), "person_ids": _visit_content(session, visit)["person_ids"]}
    visit.outcome, visit.reason, visit.scheme, visit.next_date = data.outcome, data.reason, data.scheme, data.next_date
    visit.channel, visit.met_person, visit.notes = data.channel, data.met_person or None, data.notes or None
    visit.updated_at = utcnow()
    session.add(visit)
    session.exec(
        update(FollowUp).where(FollowUp.visit_id == visit.id, FollowUp.status == FollowUpStatus.OPEN)
        .values(status=FollowUpStatus.CANCELLED, closed_at=utcnow())
    )
    for link in session.exec(select(VisitPerson).where(VisitPerson.visit_id == visit.id)).all():
        session.delete(link)
    session.flush()
    session.add_all([VisitPerson(visit_id=visit.id, person_id=pid) for pid in data.person_ids])
    member = session.get(CommitteeMember, visit.member_id)
    session.add_all(_follow_ups_for(visit, data, member, actor, today))
    if data.outcome in STOPS_OUTREACH:
        household.outreach_stopped, household.outreach_stopped_at = STOPS_OUTREACH[data.outcome], utcnow()
    elif household.outreach_stopped and before["outcome"] in {o.value for o in STOPS_OUTREACH}:
        household.outreach_stopped = household.outreach_stopped_at = None  # the correction undoes the stop
    session.add(household)
    session.flush()
    record(session, actor, "correct", visit, before=before,
           after={**snapshot(visit), "person_ids": list(data.person_ids)})
    return visit


def resume_outreach(session: Session, household: Household, *, actor: User) -> None:
    """An official puts a household back on the worklists (e.g. it moved back)."""
    before = snapshot(household, ["outreach_stopped", "outreach_stopped_at"])
    household.outreach_stopped = household.outreach_stopped_at = None
    session.add(household)
    session.flush()
    record(session, actor, "resume_outreach", household, before=before,
           after=snapshot(household, ["outreach_stopped", "outreach_stopped_at"]))


def fill_form(session: Session, form, visit: Visit) -> None:
    """Put a recorded visit into the correction form (enums as their values, the people linked)."""
    form.outcome.data = visit.outcome.value
    form.reason.data = visit.reason.value if visit.reason else ""
    form.scheme.data = visit.scheme.value if visit.scheme else ""
    form.channel.data = visit.channel.value
    form.person_ids.data = list(session.exec(select(VisitPerson.person_id).where(VisitPerson.visit_id == visit.id)))
    form.uuid.data = visit.uuid
