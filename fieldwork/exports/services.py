"""The collection agents' lists: who may draw them, which enrolments they hold, in which order.

An agent files a D05-TS (voluntary social insurance, BHXH tự nguyện) or D03-TS (household health insurance, BHYT
hộ gia đình) list with the social-insurance office for the people they collected from. The app draws it from the
enrolments dated in a period (the receipt date, else the local day the enrolment was recorded: the same rule as
the targets' counts), for the villages of one commune or one village. :func:`build_list` returns the whole list as
plain rows; :mod:`.layouts` lays it out as the paper form. Services flush, never commit.

Who may draw lists: officials for their commune, admins for any commune they choose, and in a village the head of
the committee and the committee's collection-agent staff (nhân viên đại lý thu), for that village only. The lists
carry full CCCD and BHXH numbers because the agent files them, so every download is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, true
from sqlmodel import Session, select

from ..audit import record
from ..imports.columns import vietnamese_label
from ..models import (
    AuditEvent,
    Committee,
    CommitteeMember,
    Commune,
    Enrolment,
    EnrolmentKind,
    Household,
    Organisation,
    PaymentMode,
    Person,
    Province,
    Role,
    Scheme,
    User,
    Village,
)
from ..security import get_village_for_user, village_scope
from ..sponsorships.services import commune_choices
from ..targets.services import commune_for_user, enrolment_dated
from ..text import fold, format_date, to_local

D05 = "D05-TS"
D03 = "D03-TS"
SCHEMES = {D05: Scheme.BHXH_TN, D03: Scheme.BHYT_HGD}
MAX_DAYS = 366  # a year, leap day included


class ListError(ValueError):
    """A request the user can correct; ``field`` names the form field to show the message on."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- who may draw which lists ------------------------------------------------------------------------------------


@dataclass
class ListAccess:
    """What a user may draw lists for: the villages of one commune, all together or one by one."""

    commune: Commune
    province: Province
    villages: list[Village]  # in the order the lists follow (village code)
    whole_commune: bool  # officials and admins; a head or an agent draws their own village only
    communes: list[tuple[int, str]] = field(default_factory=list)  # an admin's choice of commune


def list_member(session: Session, user: User) -> Optional[CommitteeMember]:
    """The committee-member row that lets a member draw their village's lists: the head, or the collection agent's
    staff, of the village's current committee, still serving."""
    if user.role != Role.MEMBER or user.village_id is None:
        return None
    return session.exec(
        select(CommitteeMember).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(CommitteeMember.user_id == user.id, CommitteeMember.left_on.is_(None),
               or_(CommitteeMember.is_head == true(), CommitteeMember.organisation == Organisation.COLLECTION_AGENT),
               Committee.village_id == user.village_id, Committee.dissolved_on.is_(None))
    ).first()


def may_draw_lists(session: Session, user: User) -> bool:
    """Whether to offer ``user`` the agents' lists (for links on other pages)."""
    return user.role in (Role.OFFICIAL, Role.ADMIN) or list_member(session, user) is not None


def list_access(session: Session, user: User, requested_commune: Optional[int] = None) -> ListAccess:
    """What ``user`` may draw lists for; 403 for a member who is neither head nor agent staff, 404 for a commune
    that does not exist (an admin's ``requested_commune``)."""
    if user.role == Role.MEMBER:
        if list_member(session, user) is None:
            abort(403)
        village = get_village_for_user(session, user, user.village_id)
        commune = session.get(Commune, village.commune_id)
        return ListAccess(commune, session.get(Province, commune.province_id), [village], whole_commune=False)
    commune = commune_for_user(session, user, requested_commune)
    villages = session.exec(select(Village).where(Village.commune_id == commune.id, village_scope(user))
                            .order_by(Village.code, Village.name)).all()
    return ListAccess(commune, session.get(Province, commune.province_id), list(villages), whole_commune=True,
                      communes=commune_choices(session) if user.role == Role.ADMIN else [])


def chosen_villages(session: Session, user: User, access: ListAccess, value: Optional[str]) -> list[Village]:
    """The villages the form asked for: "" for all that ``access`` allows, else one village id. A village the user
    may not see answers 404, as one that does not exist; one of another commune than the chosen one is refused."""
    value = (value or "").strip()
    if not value:
        if not access.whole_commune:
            raise ListError(str(_l("Hãy chọn thôn của bạn trong danh sách.")), "thon")
        if not access.villages:
            raise ListError(str(_l("Xã này chưa có thôn nào nên chưa có danh sách; hãy thêm thôn trước.")), "thon")
        return list(access.villages)
    if not value.isdigit():
        raise ListError(str(_l("Hãy chọn một thôn trong danh sách, hoặc “Tất cả các thôn”.")), "thon")
    village = get_village_for_user(session, user, int(value))
    if village.id not in {v.id for v in access.villages}:
        raise ListError(str(_l("Thôn đã chọn không thuộc %(commune)s; hãy chọn lại thôn trong danh sách.",
                               commune=access.commune.name)), "thon")
    return [village]


def check_period(first: date, last: date) -> None:
    """Refuse a period that ends before it starts or is longer than :data:`MAX_DAYS` days."""
    if last < first:
        raise ListError(str(_l("Ngày cuối (%(last)s) sớm hơn ngày đầu (%(first)s); hãy chọn “Đến ngày” từ “Từ ngày” "
                               "trở đi.", first=format_date(first), last=format_date(last))), "den")
    if (last - first).days + 1 > MAX_DAYS:
        raise ListError(str(_l("Mỗi danh sách dài tối đa %(n)s ngày; hãy rút ngắn khoảng thời gian hoặc tải nhiều "
                               "danh sách, ví dụ mỗi quý một danh sách.", n=MAX_DAYS)), "den")


# --- the list ------------------------------------------------------------------------------------------------------


@dataclass
class Participant:
    """One line of a list: one enrolment, with what the forms print about the person and the payment."""

    person_id: int
    village: str
    full_name: str
    bhxh_code: Optional[str]
    cccd: Optional[str]
    birth: date | int  # the full date, or the year when only the year is known
    sex: str
    address: str
    household_code: str
    bhyt_rank: Optional[int]
    chosen_income: Optional[int]
    mode: str  # "1", "3", "6", "12", "VS (60 tháng)", "TH (24 tháng)"
    months: int
    from_month: date
    valid_until: date
    receipt_date: Optional[date]
    receipt_no: Optional[str]
    amount_total: int
    amount_person: int
    state_share_bp: Optional[int]
    amount_state: int
    local_share_bp: Optional[int]
    amount_local: int
    other_share_bp: Optional[int]
    amount_other: int
    collector_code: Optional[str]
    note: str


@dataclass
class Totals:
    people: int = 0
    amount_total: int = 0
    amount_person: int = 0
    amount_state: int = 0
    amount_local: int = 0
    amount_other: int = 0


@dataclass
class AgentList:
    """A D05-TS or D03-TS list, built completely before it is laid out."""

    form: str  # D05 or D03
    scheme: Scheme
    commune: Commune
    province: Province
    villages: list[Village]  # the villages asked for
    first: date
    last: date
    made_on: date
    rows: list[Participant]
    totals: Totals

    @property
    def filename(self) -> str:
        return f"{self.form}_{self.commune.code}_{self.first.isoformat()}_{self.last.isoformat()}.xlsx"


def build_list(session: Session, user: User, access: ListAccess, form: str, village: Optional[str], first: date,
               last: date, today: date) -> AgentList:
    """The ``form`` list (D05-TS or D03-TS) of the enrolments dated in [first, last] in the village chosen (its
    id, or "" for all the villages ``access`` allows); :class:`ListError` for a request to correct.

    Order: village (by code), then the enrolment's date, receipt number (numbers within it compared as numbers),
    name. The cards of one household bought together (one batch) stay together in rank order, placed where the
    first-ranked person's line would go.
    """
    villages = chosen_villages(session, user, access, village)
    check_period(first, last)
    scheme = SCHEMES[form]
    order = {v.id: i for i, v in enumerate(access.villages)}
    names = {v.id: v.name for v in access.villages}
    found = session.exec(
        select(Enrolment, Person, Household).join(Person, Person.id == Enrolment.person_id)
        .join(Household, Household.id == Person.household_id)
        .where(Household.village_id.in_([v.id for v in villages]), Enrolment.scheme == scheme,
               enrolment_dated(first, last))
    ).all()
    batches: dict[str, list[tuple[Enrolment, Person, Household]]] = {}
    for enrolment, person, household in found:
        batches.setdefault(enrolment.batch_key or f"#{enrolment.id}", []).append((enrolment, person, household))
    groups = [sorted(batch, key=lambda r: (r[0].bhyt_rank or 0, fold(r[1].full_name), r[0].id))
              for batch in batches.values()]
    groups.sort(key=lambda g: (order[g[0][2].village_id], _dated(g[0][0]), _receipt_key(g[0][0].receipt_no),
                               fold(g[0][1].full_name), g[0][0].id))
    rows = [_participant(e, p, h, names[h.village_id], access.commune.name) for group in groups for e, p, h in group]
    return AgentList(form=form, scheme=scheme, commune=access.commune, province=access.province, villages=villages,
                     first=first, last=last, made_on=today, rows=rows, totals=_totals(rows))


def _dated(enrolment: Enrolment) -> date:
    """The day an enrolment counts on: its receipt date, else the local day it was recorded."""
    return enrolment.receipt_date or to_local(enrolment.created_at).date()


def _receipt_key(receipt_no: Optional[str]) -> tuple:
    """Receipt numbers in the order people read them (BL-9 before BL-10); lines without one come last."""
    if not receipt_no:
        return (1, [])
    # re.split with a group alternates text and digits, so the parts of two keys compare text to text.
    return (0, [int(part) if i % 2 else part.casefold() for i, part in enumerate(re.split(r"(\d+)", receipt_no))])


def _share_bp(part: int, whole: int) -> Optional[int]:
    """``part`` as basis points of ``whole``, rounded half up; None when there is no whole."""
    if whole <= 0:
        return None
    return (part * 20_000 + whole) // (2 * whole)


def _mode(enrolment: Enrolment) -> str:
    if enrolment.payment_mode in (PaymentMode.FUTURE_YEARS, PaymentMode.MISSING_PERIOD):
        return f"{enrolment.payment_mode.value} ({enrolment.months} tháng)"
    if enrolment.payment_mode is not None:
        return enrolment.payment_mode.value
    return f"{enrolment.months} tháng"


def _note(enrolment: Enrolment) -> str:
    notes = ["Tham gia mới" if enrolment.kind == EnrolmentKind.NEW else "Đóng tiếp"]
    if enrolment.sponsorship_id is not None:
        notes.append("Được tài trợ")
    return "; ".join(notes)


def _participant(enrolment: Enrolment, person: Person, household: Household, village: str,
                 commune: str) -> Participant:
    address = ", ".join(part for part in (household.address, village, commune) if part)
    return Participant(
        person_id=person.id, village=village, full_name=person.full_name, bhxh_code=person.bhxh_code,
        cccd=person.cccd, birth=person.birth_date or person.birth_year, sex=vietnamese_label(person.sex),
        address=address, household_code=household.code, bhyt_rank=enrolment.bhyt_rank,
        chosen_income=enrolment.chosen_income, mode=_mode(enrolment), months=enrolment.months,
        from_month=enrolment.from_month, valid_until=enrolment.valid_until, receipt_date=enrolment.receipt_date,
        receipt_no=enrolment.receipt_no, amount_total=enrolment.amount_total, amount_person=enrolment.amount_person,
        state_share_bp=enrolment.state_share_bp, amount_state=enrolment.amount_state,
        local_share_bp=enrolment.local_share_bp, amount_local=enrolment.amount_local,
        other_share_bp=_share_bp(enrolment.amount_other, enrolment.amount_total),
        amount_other=enrolment.amount_other, collector_code=enrolment.collector_code, note=_note(enrolment),
    )


def _totals(rows: list[Participant]) -> Totals:
    return Totals(
        people=len({r.person_id for r in rows}),
        amount_total=sum(r.amount_total for r in rows), amount_person=sum(r.amount_person for r in rows),
        amount_state=sum(r.amount_state for r in rows), amount_local=sum(r.amount_local for r in rows),
        amount_other=sum(r.amount_other for r in rows),
    )


def record_download(session: Session, actor: User, listing: AgentList) -> AuditEvent:
    """Audit a download: the lists carry full identifiers. Recorded on the village, or on the commune when the
    list covers several villages."""
    subject = listing.villages[0] if len(listing.villages) == 1 else listing.commune
    return record(session, actor, "export", subject, after={
        "list": listing.form, "scheme": listing.scheme.value, "from": listing.first.isoformat(),
        "to": listing.last.isoformat(), "commune_id": listing.commune.id,
        "villages": [v.id for v in listing.villages], "rows": len(listing.rows)})
