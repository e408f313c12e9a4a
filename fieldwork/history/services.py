"""What changed, by whom and when: the audit events of a record and of the records that hang from it.

A household's history holds its own events and those of its people, visits, assignments, follow-ups, enrolments,
drop-outs and sponsorships; a person's, their own and those of their enrolments, drop-outs and sponsorships. Records
reach here through the user's scope like everywhere else (``get_<thing>_for_user``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from ..models import (
    Assignment,
    AuditEvent,
    Dropout,
    Enrolment,
    FollowUp,
    Household,
    Person,
    Sponsorship,
    User,
    Visit,
)

HIDDEN = {"password_hash", "session_version"}  # never shown, even as "changed"
SHOWN_LIMIT = 500


@dataclass
class Change:
    field: str
    before: Any
    after: Any


@dataclass
class Entry:
    at: datetime
    who: str
    action: str
    entity: str
    entity_id: Optional[int]
    changes: list[Change]
    ip: Optional[str]


def changes_of(event: AuditEvent) -> list[Change]:
    """The fields whose value differs between before and after (all of them for a creation)."""
    before, after = event.before or {}, event.after or {}
    fields = [k for k in {**before, **after} if k not in HIDDEN]
    return [Change(k, before.get(k), after.get(k)) for k in sorted(fields) if before.get(k) != after.get(k)]


def _ids(session: Session, column, condition) -> list[int]:
    return list(session.exec(select(column).where(condition)).all())


def household_keys(session: Session, household: Household) -> dict[str, list[int]]:
    people = _ids(session, Person.id, Person.household_id == household.id)
    return {
        "household": [household.id],
        "person": people,
        "visit": _ids(session, Visit.id, Visit.household_id == household.id),
        "assignment": _ids(session, Assignment.id, Assignment.household_id == household.id),
        "follow_up": _ids(session, FollowUp.id, FollowUp.household_id == household.id),
        **_person_children(session, people),
    }


def _person_children(session: Session, people: list[int]) -> dict[str, list[int]]:
    if not people:
        return {}
    return {
        "enrolment": _ids(session, Enrolment.id, Enrolment.person_id.in_(people)),
        "dropout": _ids(session, Dropout.id, Dropout.person_id.in_(people)),
        "sponsorship": _ids(session, Sponsorship.id, Sponsorship.person_id.in_(people)),
    }


def person_keys(session: Session, person: Person) -> dict[str, list[int]]:
    return {"person": [person.id], **_person_children(session, [person.id])}


def history(session: Session, keys: dict[str, list[int]]) -> list[Entry]:
    """Newest first, at most ``SHOWN_LIMIT`` entries."""
    conditions = [and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids)) for entity, ids in keys.items() if ids]
    if not conditions:
        return []
    rows = session.exec(select(AuditEvent, User.display_name).outerjoin(User, User.id == AuditEvent.user_id)
                        .where(or_(*conditions)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                        .limit(SHOWN_LIMIT)).all()
    return [Entry(e.at, name or "Fieldwork", e.action, e.entity, e.entity_id, changes_of(e), e.ip) for e, name in rows]
