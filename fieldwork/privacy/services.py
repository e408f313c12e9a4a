"""Personal data rights (Law 91/2025/QH15, Decree 356/2025): see what is held, withdraw consent.

Withdrawing consent stops outreach to the person at once: their open follow-ups are cancelled, renewal reminders
and worklists leave them out, and when nobody left in the household consents the household leaves every worklist.
Weekly reports still count what they did (an enrolment stays an enrolment) but no longer name them. The records are
kept: they are needed for the insurance itself, and nothing is ever hard-deleted.
"""

from __future__ import annotations

from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..history.services import history, person_keys
from ..models import (
    Dropout,
    Enrolment,
    FollowUp,
    FollowUpStatus,
    Household,
    Person,
    Sponsorship,
    User,
    Visit,
    VisitPerson,
    utcnow,
)
from ..reports.archive import plain
from ..text import nfc

WITHDRAWN = "withdrawn"  # Household.outreach_stopped when nobody left in it consents
HIDDEN_FIELDS = {"name_key"}


def _rows(session: Session, model, condition) -> list[dict]:
    return [{k: v for k, v in plain(row).items() if k not in HIDDEN_FIELDS}
            for row in session.exec(select(model).where(condition).order_by(model.id)).all()]


def everything_about(session: Session, person: Person, household: Household) -> dict[str, Any]:
    """Every record that names or concerns the person, for a data-subject request (JSON-ready)."""
    visit_ids = select(VisitPerson.visit_id).where(VisitPerson.person_id == person.id)
    return {
        "generated_at": utcnow().isoformat(),
        "person": {k: v for k, v in plain(person).items() if k not in HIDDEN_FIELDS},
        "household": plain(household),
        "visits_about_them": _rows(session, Visit, Visit.id.in_(visit_ids)),
        "enrolments": _rows(session, Enrolment, Enrolment.person_id == person.id),
        "dropouts": _rows(session, Dropout, Dropout.person_id == person.id),
        "sponsorships": _rows(session, Sponsorship, Sponsorship.person_id == person.id),
        "follow_ups": _rows(session, FollowUp, FollowUp.person_id == person.id),
        "history": [plain(entry) for entry in history(session, person_keys(session, person))],
    }


class PrivacyError(ValueError):
    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message, self.field = message, field


def withdraw_consent(session: Session, person: Person, household: Household, *, note: Optional[str],
                     actor: User) -> None:
    if person.consent_withdrawn_at is not None:
        raise PrivacyError(_("Người này đã rút lại sự đồng ý ngày %(d)s.", d=person.consent_withdrawn_at.date()))
    before = snapshot(person, ["consent_at", "consent_withdrawn_at", "consent_withdrawn_note"])
    person.consent_withdrawn_at, person.consent_withdrawn_note = utcnow(), nfc(note) or None
    session.add(person)
    session.exec(update(FollowUp).where(FollowUp.person_id == person.id, FollowUp.status == FollowUpStatus.OPEN)
                 .values(status=FollowUpStatus.CANCELLED, closed_at=utcnow()))
    session.flush()
    record(session, actor, "withdraw_consent", person, before=before,
           after=snapshot(person, ["consent_at", "consent_withdrawn_at", "consent_withdrawn_note"]))
    if not _anyone_left(session, household):
        before = snapshot(household, ["outreach_stopped", "outreach_stopped_at"])
        household.outreach_stopped, household.outreach_stopped_at = WITHDRAWN, utcnow()
        session.add(household)
        session.flush()
        record(session, actor, "update", household, before=before,
               after=snapshot(household, ["outreach_stopped", "outreach_stopped_at"]))


def _anyone_left(session: Session, household: Household) -> bool:
    return session.exec(select(Person.id).where(Person.household_id == household.id, Person.archived_at.is_(None),
                                                Person.consent_withdrawn_at.is_(None))).first() is not None
