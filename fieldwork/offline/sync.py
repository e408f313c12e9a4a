"""Visits queued on a phone and sent when the connection returns: each recorded exactly once, none dropped.

The phone sends a batch of visits, each with the UUID it made when the visit was saved and the time it happened.
Every item gets its own answer:

========================  ========================================================================================
``accepted``              recorded now
``duplicate``             already recorded with the same content (a replay after a lost answer): nothing changes
``needs_attention``       recorded, but the household was reassigned or archived meanwhile: an official must look
``conflict``              the UUID is recorded with other content: the stored visit is kept, what arrived is kept
                          beside it for an official (``VisitAttention.payload``)
``invalid``               the content breaks a rule (e.g. refused without a reason): nothing recorded
``forbidden``             the household never was this member's: nothing recorded
========================  ========================================================================================

The phone removes an item only on the first three. Services flush; the request commits once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Optional

from flask_babel import gettext as _
from sqlmodel import Session, select
from werkzeug.datastructures import MultiDict

from ..models import CommitteeMember, Person, User
from ..text import to_local
from ..visits import services as visits
from ..visits.forms import VisitForm, plain_input

MAX_BATCH = 50
CONFIRMED = {"accepted", "duplicate", "needs_attention"}


class SyncError(Exception):
    """The batch as a whole cannot be taken: ``code`` tells the phone what to do (sign in, fetch a token...)."""

    def __init__(self, code: str, status: int):
        super().__init__(code)
        self.code = code
        self.status = status


@dataclass
class ItemResult:
    uuid: str
    status: str
    message: Optional[str] = None
    field: Optional[str] = None
    visit_id: Optional[int] = None
    attention: Optional[str] = None
    outcome: Optional[str] = None  # the outcome's label, for the confirmation message
    household: Optional[str] = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k not in ("outcome", "household")}


def batch_items(payload: Any, user: User) -> list[dict]:
    """The visits of a well-formed batch sent by ``user``'s phone."""
    if not isinstance(payload, dict) or not isinstance(payload.get("visits"), list):
        raise SyncError("bad_request", 400)
    if payload.get("user_id") != user.id:
        raise SyncError("other_user", 409)  # queued under another login on this phone: it waits for its owner
    items = payload["visits"]
    if len(items) > MAX_BATCH or not all(isinstance(i, dict) for i in items):
        raise SyncError("bad_request", 400)
    return items


def parse_instant(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def sync_visits(session: Session, user: User, member: CommitteeMember, items: list[dict],
                now: datetime) -> list[ItemResult]:
    return [sync_one(session, user, member, item, now) for item in items]


def _formdata(item: dict) -> MultiDict:
    data = MultiDict()
    for key in ("uuid", "outcome", "reason", "scheme", "channel", "met_person", "notes", "next_date"):
        value = item.get(key)
        if value is not None:
            data.add(key, str(value))
    person_ids = item.get("person_ids")
    for pid in person_ids if isinstance(person_ids, list) else []:  # anything but a list is no choice of people
        data.add("person_ids", str(pid))
    return data


def _first_error(form: VisitForm) -> tuple[Optional[str], str]:
    for name, errors in form.errors.items():
        if errors:
            return name, str(errors[0])
    return None, _("Dữ liệu gửi lên không đúng. Hãy quay lại trang trước và thử lại.")


def sync_one(session: Session, user: User, member: CommitteeMember, item: dict, now: datetime) -> ItemResult:
    """Record one queued visit, or say why not; never raises for what the phone sent."""
    uuid = str(item.get("uuid") or "")[:36].lower()
    household_id = item.get("household_id")
    # An id past the column's range (2^31 on PostgreSQL) is no household: asking the database would fail the query.
    known = isinstance(household_id, int) and not isinstance(household_id, bool) and 0 < household_id < 2**31
    found = visits.household_for_member(session, household_id, member) if known else None
    if found is None or not found[1]:  # no such household, or never this member's
        return ItemResult(uuid, "forbidden", _("Hộ này không thuộc danh sách của bạn; lần vận động không được ghi."))
    household, _ever, holds_it_now = found
    visited_at = parse_instant(item.get("visited_at"))
    if visited_at is None:
        return ItemResult(uuid, "invalid", _("Thời điểm vận động không hợp lệ."), "visited_at")
    visited_at = min(visited_at, now)  # a phone clock ahead of time does not put visits in the future
    formdata = _formdata(item)
    data = plain_input(formdata, visited_at)  # the common visit, read without the form (as the visit POST does)
    if data is None:
        people = session.exec(select(Person).where(Person.household_id == household.id)).all()
        form = VisitForm(formdata=formdata, meta={"csrf": False}, people=people)
        if not form.validate():
            field, message = _first_error(form)
            return ItemResult(uuid, "invalid", message, field)
        data = form.to_input(visited_at)
    attention = visits.attention_needed(household, holds_it_now)
    try:
        # The rules apply as on the day of the visit: a revisit date chosen then is not "in the past" now.
        result = visits.log_visit(session, household, member, data, actor=user,
                                  today=to_local(visited_at).date(), attention=attention)
    except visits.VisitConflict as conflict:
        visits.record_conflict(session, conflict)
        return ItemResult(uuid, "conflict", conflict.message, visit_id=conflict.visit.id)
    except visits.VisitError as error:
        return ItemResult(uuid, "invalid", error.message, error.field)
    status = "duplicate" if not result.created else "needs_attention" if result.attention else "accepted"
    reason = result.attention
    return ItemResult(uuid, status, str(visits.ATTENTION_LABELS[reason]) if reason else None,
                      visit_id=result.visit.id, attention=reason.value if reason else None,
                      outcome=result.visit.outcome.label, household=household.head_name)
