"""Household and person records: create, correct, archive, move, consent, duplicates, merge.

Services flush, never commit; the request (or the import) commits once. Every change is audited and keeps the search
index in step. Nothing is hard-deleted: archiving sets ``archived_at``; merging archives the merged-away record and
points it at the one kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, or_, update
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..db import read_rows
from ..models import (
    Assignment,
    BhxhStatus,
    BhytStatus,
    CommitteeMember,
    DuplicateDismissal,
    Enrolment,
    FollowUp,
    Household,
    Person,
    Poverty,
    Relation,
    Sex,
    Sponsorship,
    User,
    Village,
    Visit,
    utcnow,
)
from ..policy import retirement_age_months
from ..text import fold, local_today, nfc, normalise_phone
from . import rules, search


class RegistryError(ValueError):
    """A change refused for a reason the user can fix; ``field`` names the form field to show it on."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


HOUSEHOLD_FIELDS = ("code", "head_name", "address", "hamlet_group", "phone", "poverty", "notes")
PERSON_FIELDS = (
    "full_name", "birth_date", "birth_year", "sex", "relation", "cccd", "bhxh_code", "ethnicity", "occupation",
    "bhyt_status", "bhyt_card_expiry", "bhxh_status", "bhxh_paid_until",
)


# --- households --------------------------------------------------------------------------------------------------


def _clean_household(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    for key in ("code", "head_name", "address", "hamlet_group", "notes"):
        if key in clean:
            clean[key] = nfc(clean[key]) or None
    if "phone" in clean:
        if (message := rules.phone_error(clean["phone"])):
            raise RegistryError(message, "phone")
        clean["phone"] = normalise_phone(clean["phone"]) or None
    if "head_name" in clean and (message := rules.name_error(clean["head_name"])):
        raise RegistryError(message, "head_name")
    if "code" in clean and not clean["code"]:
        raise RegistryError(str(_l("Hãy nhập mã hộ (ví dụ T01-0001); mã hộ không được trùng trong thôn.")), "code")
    if "poverty" in clean and clean["poverty"] is not None:
        clean["poverty"] = Poverty(clean["poverty"])
    return clean


def _check_code_free(session: Session, village_id: int, code: str, household_id: Optional[int] = None) -> None:
    clash = session.exec(
        select(Household.id).where(Household.village_id == village_id, Household.code == code,
                                   Household.id != (household_id or 0))
    ).first()
    if clash is not None:
        raise RegistryError(str(_l("Mã hộ %(code)s đã có trong thôn này; hãy dùng mã khác.", code=code)), "code")


def create_household(session: Session, village: Village, *, actor: Optional[User], **values: Any) -> Household:
    clean = _clean_household({k: v for k, v in values.items() if k in HOUSEHOLD_FIELDS})
    _check_code_free(session, village.id, clean["code"])
    household = Household(village_id=village.id, **clean)
    session.add(household)
    session.flush()
    record(session, actor, "create", household, after=snapshot(household))
    search.index_household(session, household)
    return household


def update_household(session: Session, household: Household, *, actor: Optional[User], **values: Any) -> Household:
    clean = _clean_household({k: v for k, v in values.items() if k in HOUSEHOLD_FIELDS})
    if "code" in clean:
        _check_code_free(session, household.village_id, clean["code"], household.id)
    before = snapshot(household)
    for key, value in clean.items():
        setattr(household, key, value)
    household.updated_at = utcnow()
    session.add(household)
    session.flush()
    record(session, actor, "update", household, before=before, after=snapshot(household))
    search.index_household(session, household, with_people="code" in clean)
    return household


def _end_assignment_and_tasks(session: Session, household: Household) -> None:
    """The responsible member no longer holds the household: the assignment ends today, open tasks are cancelled."""
    from ..models import FollowUpStatus

    session.exec(
        update(Assignment).where(Assignment.household_id == household.id, Assignment.valid_to.is_(None))
        .values(valid_to=local_today())
    )
    session.exec(
        update(FollowUp).where(FollowUp.household_id == household.id, FollowUp.status == FollowUpStatus.OPEN)
        .values(status=FollowUpStatus.CANCELLED, closed_at=utcnow())
    )


def archive_household(session: Session, household: Household, *, actor: Optional[User]) -> None:
    """Archive the household and its people; its open assignment ends today. Visits and enrolments stay."""
    before = snapshot(household)
    household.archived_at = utcnow()
    session.add(household)
    _end_assignment_and_tasks(session, household)
    session.flush()
    record(session, actor, "archive", household, before=before, after=snapshot(household))
    search.unindex_household(session, household)


def restore_household(session: Session, household: Household, *, actor: Optional[User]) -> None:
    before = snapshot(household)
    household.archived_at = None
    session.add(household)
    session.flush()
    record(session, actor, "restore", household, before=before, after=snapshot(household))
    search.index_household(session, household, with_people=True)


def move_household(session: Session, household: Household, village: Village, *, actor: Optional[User]) -> None:
    """Move to another village of the same commune: the responsible member belongs to the old village, so the
    assignment ends and the household waits for a member of the new one."""
    if village.id == household.village_id:
        return
    _check_code_free(session, village.id, household.code)
    before = snapshot(household)
    household.village_id = village.id
    household.updated_at = utcnow()
    session.add(household)
    _end_assignment_and_tasks(session, household)
    session.flush()
    record(session, actor, "move", household, before=before, after=snapshot(household))
    search.index_household(session, household, with_people=True)


# --- people ------------------------------------------------------------------------------------------------------


def _clean_person(values: dict[str, Any], today: date) -> dict[str, Any]:
    clean = dict(values)
    for key in ("full_name", "ethnicity", "occupation"):
        if key in clean:
            clean[key] = nfc(clean[key]) or None
    if "full_name" in clean:
        if (message := rules.name_error(clean["full_name"])):
            raise RegistryError(message, "full_name")
        clean["name_key"] = fold(clean["full_name"])
    for key, check in (("cccd", rules.cccd_error), ("bhxh_code", rules.bhxh_code_error)):
        if key in clean:
            clean[key] = rules.normalise_digits(clean[key])
            if (message := check(clean[key])):
                raise RegistryError(message, key)
    if "birth_date" in clean or "birth_year" in clean:
        birth_date, birth_year = clean.get("birth_date"), clean.get("birth_year")
        if (message := rules.birth_error(birth_date, birth_year, today)):
            raise RegistryError(message, "birth_date")
        clean["birth_year"] = birth_date.year if birth_date else birth_year
    if clean.get("ethnicity") is None and "ethnicity" in clean:
        clean["ethnicity"] = "Kinh"
    for key, enum in (("sex", Sex), ("relation", Relation), ("bhyt_status", BhytStatus), ("bhxh_status", BhxhStatus)):
        if clean.get(key) is not None:
            clean[key] = enum(clean[key])
    return clean


def _check_identifiers_free(session: Session, clean: dict[str, Any], person_id: Optional[int] = None) -> None:
    """CCCD and BHXH codes are one person's: a clash blocks the change (it is a duplicate, or a typing error)."""
    for key, label in (("cccd", _l("Số CCCD")), ("bhxh_code", _l("Mã số BHXH"))):
        value = clean.get(key)
        if not value:
            continue
        other = session.exec(
            select(Person).where(getattr(Person, key) == value, Person.id != (person_id or 0))
        ).first()
        if other is not None:
            raise RegistryError(
                str(_l("%(label)s %(value)s đã thuộc về %(name)s (hộ khác hoặc cùng hộ). Hãy kiểm tra lại số, "
                       "hoặc gộp hai hồ sơ nếu là cùng một người.", label=label, value=value, name=other.full_name)),
                key,
            )


def create_person(session: Session, household: Household, *, actor: Optional[User], today: date,
                  **values: Any) -> Person:
    clean = _clean_person({k: v for k, v in values.items() if k in PERSON_FIELDS}, today)
    _check_identifiers_free(session, clean)
    person = Person(household_id=household.id, **clean)
    session.add(person)
    session.flush()
    record(session, actor, "create", person, after=snapshot(person))
    search.index_person(session, person, household)
    return person


def update_person(session: Session, person: Person, *, actor: Optional[User], today: date,
                  **values: Any) -> Person:
    clean = _clean_person({k: v for k, v in values.items() if k in PERSON_FIELDS}, today)
    _check_identifiers_free(session, clean, person.id)
    before = snapshot(person)
    for key, value in clean.items():
        setattr(person, key, value)
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    after = snapshot(person)
    if after != before:
        record(session, actor, "update", person, before=before, after=after)
    search.index_person(session, person, session.get(Household, person.household_id))
    return person


def archive_person(session: Session, person: Person, *, actor: Optional[User]) -> None:
    before = snapshot(person)
    person.archived_at = utcnow()
    session.add(person)
    session.flush()
    record(session, actor, "archive", person, before=before, after=snapshot(person))
    search.index_person(session, person, session.get(Household, person.household_id))


def record_consent(session: Session, person: Person, *, actor: User, note: Optional[str] = None) -> None:
    before = snapshot(person, ["consent_at", "consent_by_id", "consent_note"])
    person.consent_at = utcnow()
    person.consent_by_id = actor.id
    person.consent_note = nfc(note) or None
    session.add(person)
    session.flush()
    record(session, actor, "consent", person, before=before,
           after=snapshot(person, ["consent_at", "consent_by_id", "consent_note"]))


# --- duplicates --------------------------------------------------------------------------------------------------


@dataclass
class DuplicateHit:
    person: Person
    household: Household
    blocking: bool  # same CCCD or BHXH code: must be fixed or merged
    reason: str


def find_duplicates(session: Session, *, commune_id: int, village_id: int, full_name: str,
                    birth_year: Optional[int], cccd: Optional[str] = None, bhxh_code: Optional[str] = None,
                    exclude_person_id: Optional[int] = None) -> list[DuplicateHit]:
    """Likely duplicates in the commune: same CCCD or BHXH code (blocking), or same folded name and birth year in
    the same village (a warning), leaving out pairs an official has dismissed."""
    hits: list[DuplicateHit] = []
    conditions = []
    if cccd:
        conditions.append(Person.cccd == cccd)
    if bhxh_code:
        conditions.append(Person.bhxh_code == bhxh_code)
    if conditions:
        rows = session.exec(
            select(Person, Household).join(Household, Household.id == Person.household_id)
            .join(Village, Village.id == Household.village_id)
            .where(or_(*conditions), Village.commune_id == commune_id, Person.id != (exclude_person_id or 0))
        ).all()
        for person, household in rows:
            same = _l("cùng số CCCD") if cccd and person.cccd == cccd else _l("cùng mã số BHXH")
            hits.append(DuplicateHit(person, household, True, str(same)))
    if birth_year:
        dismissed = set()
        if exclude_person_id:
            dismissed = set(session.exec(
                select(DuplicateDismissal.other_person_id).where(DuplicateDismissal.person_id == exclude_person_id)
            ).all()) | set(session.exec(
                select(DuplicateDismissal.person_id).where(DuplicateDismissal.other_person_id == exclude_person_id)
            ).all())
        rows = session.exec(
            select(Person, Household).join(Household, Household.id == Person.household_id)
            .where(Person.name_key == fold(full_name), Person.birth_year == birth_year,
                   Household.village_id == village_id, Person.archived_at.is_(None),
                   Person.id != (exclude_person_id or 0))
        ).all()
        seen = {h.person.id for h in hits}
        for person, household in rows:
            if person.id not in seen and person.id not in dismissed:
                hits.append(DuplicateHit(person, household, False, str(_l("cùng họ tên và năm sinh"))))
    return hits


def dismiss_duplicate(session: Session, person: Person, other: Person, *, actor: User) -> None:
    a, b = sorted((person.id, other.id))
    exists = session.exec(
        select(DuplicateDismissal).where(DuplicateDismissal.person_id == a, DuplicateDismissal.other_person_id == b)
    ).first()
    if exists is None:
        dismissal = DuplicateDismissal(person_id=a, other_person_id=b, dismissed_by_id=actor.id)
        session.add(dismissal)
        session.flush()
        record(session, actor, "dismiss_duplicate", dismissal, after={"person_id": a, "other_person_id": b})


# --- merging -----------------------------------------------------------------------------------------------------


def merge_people(session: Session, keep: Person, drop: Person, *, actor: User) -> Person:
    """Keep one record: every visit-, enrolment-, sponsorship- and follow-up link of ``drop`` moves to ``keep``;
    identifiers and facts ``keep`` lacks are taken from ``drop``; ``drop`` is archived and points at ``keep``."""
    if keep.id == drop.id:
        raise RegistryError(str(_l("Hãy chọn hai hồ sơ khác nhau để gộp.")))
    before_keep, before_drop = snapshot(keep), snapshot(drop)
    for model in (Enrolment, Sponsorship, FollowUp):
        session.exec(update(model).where(model.person_id == drop.id).values(person_id=keep.id))
    taken = {}
    for key in ("cccd", "bhxh_code", "birth_date", "occupation", "bhyt_card_expiry", "bhxh_paid_until",
                "consent_at", "consent_by_id", "consent_note"):
        if getattr(keep, key) is None and getattr(drop, key) is not None:
            taken[key] = getattr(drop, key)
    # Identifiers are unique: free them on the record that goes before giving them to the one kept.
    drop.cccd = drop.bhxh_code = None
    drop.archived_at = utcnow()
    drop.merged_into_id = keep.id
    session.add(drop)
    session.flush()
    for key, value in taken.items():
        setattr(keep, key, value)
    keep.updated_at = utcnow()
    session.add(keep)
    session.flush()
    record(session, actor, "merge", keep, before={"kept": before_keep, "merged": before_drop},
           after=snapshot(keep))
    search.index_person(session, drop, session.get(Household, drop.household_id))
    search.index_person(session, keep, session.get(Household, keep.household_id))
    return keep


def merge_households(session: Session, keep: Household, drop: Household, *, actor: User) -> Household:
    """Move ``drop``'s people, visits and follow-ups to ``keep`` and archive ``drop`` pointing at ``keep``."""
    if keep.id == drop.id:
        raise RegistryError(str(_l("Hãy chọn hai hộ khác nhau để gộp.")))
    before = {"kept": snapshot(keep), "merged": snapshot(drop)}
    for model in (Person, Visit, FollowUp):
        session.exec(update(model).where(model.household_id == drop.id).values(household_id=keep.id))
    session.exec(
        update(Assignment).where(Assignment.household_id == drop.id, Assignment.valid_to.is_(None))
        .values(valid_to=local_today())
    )
    drop.archived_at = utcnow()
    drop.merged_into_id = keep.id
    session.add(drop)
    session.flush()
    record(session, actor, "merge", keep, before=before, after=snapshot(keep))
    search.unindex_household(session, drop)
    search.index_household(session, keep, with_people=True)
    return keep


# --- coverage at a glance ----------------------------------------------------------------------------------------

WORKING_AGE_FROM = 15


@dataclass
class Coverage:
    age: int
    bhyt_valid: bool
    bhyt_until: Optional[date]
    bhxh: BhxhStatus
    prospect_bhyt: bool  # no valid health-insurance card and not covered through another group
    prospect_bhxh: bool  # of working age, in no social insurance
    notes: list[str] = field(default_factory=list)

    @property
    def is_prospect(self) -> bool:
        return self.prospect_bhyt or self.prospect_bhxh


def age_on(person: Person, today: date) -> int:
    if person.birth_date:
        b = person.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    return today.year - person.birth_year


def _bhyt_valid(person: Person, today: date) -> bool:
    if person.bhyt_status == BhytStatus.OTHER_GROUP:
        return person.bhyt_card_expiry is None or person.bhyt_card_expiry >= today
    if person.bhyt_status == BhytStatus.HOUSEHOLD:
        return person.bhyt_card_expiry is not None and person.bhyt_card_expiry >= today
    return False


def _prospect_bhxh(person: Person, age: int, today: date) -> bool:
    """Of working age and in no social insurance."""
    working_age = WORKING_AGE_FROM <= age < retirement_age_months(person.sex, today.year) / 12
    bhxh_active = person.bhxh_status in (BhxhStatus.COMPULSORY, BhxhStatus.PENSIONER) or (
        person.bhxh_status == BhxhStatus.VOLUNTARY
        and (person.bhxh_paid_until is None or person.bhxh_paid_until >= today)
    )
    return working_age and not bhxh_active


def coverage(person: Person, today: date) -> Coverage:
    age = age_on(person, today)
    bhyt_valid = _bhyt_valid(person, today)
    return Coverage(
        age=age,
        bhyt_valid=bhyt_valid,
        bhyt_until=person.bhyt_card_expiry,
        bhxh=person.bhxh_status,
        prospect_bhyt=not bhyt_valid and age >= 6,  # children under 6 are covered by the state whatever the record says
        prospect_bhxh=_prospect_bhxh(person, age, today),
    )


def is_prospect(person: Person, today: date) -> bool:
    """``coverage(person, today).is_prospect``, without building the rest (the worklist asks it of ~150 people)."""
    age = age_on(person, today)
    return (age >= 6 and not _bhyt_valid(person, today)) or _prospect_bhxh(person, age, today)


# --- what the household page shows -------------------------------------------------------------------------------


RECENT_VISITS = 20  # the visits a household page lists


@dataclass
class HouseholdPage:
    household: Household
    village: Village
    people: list[tuple[Row, Coverage]]  # rows, not entities: the columns the page shows (see _PEOPLE)
    responsible: Optional[CommitteeMember]
    visits: list[Row]  # a visit's columns and its member's name (member_name)
    enrolments: list[Row]  # an enrolment's columns and its person's name (person_name)


# The household page's statements, built once with bound parameters (see security.py: building costs more than
# running them). Plain rows, not ORM entities: they answer the same attribute names, and building entities for
# the household's people, visits and enrolments was a fifth of the page's time.
_PEOPLE = (select(Person.id, Person.full_name, Person.relation, Person.sex, Person.birth_date, Person.birth_year,
                  Person.bhyt_status, Person.bhyt_card_expiry, Person.bhxh_status, Person.bhxh_paid_until,
                  Person.cccd, Person.bhxh_code)
           .where(Person.household_id == bindparam("household_id"), Person.archived_at.is_(None)))
_HOLDER = (select(CommitteeMember).join(Assignment, Assignment.member_id == CommitteeMember.id)
           .where(Assignment.household_id == bindparam("household_id"), Assignment.valid_to.is_(None)))
_RECENT_VISITS = (select(Visit.id, Visit.outcome, Visit.reason, Visit.visited_at, Visit.next_date, Visit.notes,
                         Visit.member_id, Visit.created_at, CommitteeMember.full_name.label("member_name"))
                  .join(CommitteeMember, CommitteeMember.id == Visit.member_id)
                  .where(Visit.household_id == bindparam("household_id"))
                  .order_by(Visit.visited_at.desc()).limit(RECENT_VISITS))
_ENROLMENTS = (select(Enrolment.scheme, Enrolment.kind, Enrolment.months, Enrolment.from_month, Enrolment.valid_until,
                      Enrolment.amount_total, Person.full_name.label("person_name"))
               .join(Person, Person.id == Enrolment.person_id)
               .where(Person.household_id == bindparam("household_id")).order_by(Enrolment.from_month.desc()))


def household_page(session: Session, household: Household, today: date,
                   village: Optional[Village] = None) -> HouseholdPage:
    """Everything the household page shows; ``household`` has already been loaded through the user's scope (and
    ``village``, its village, with it when the caller has it)."""
    of_household = {"household_id": household.id}
    people = read_rows(session, _PEOPLE, of_household)
    # Head first, then by age: how a household is read out in the village.
    people = sorted(people, key=lambda p: (p.relation != Relation.HEAD, p.birth_year, p.id))
    return HouseholdPage(
        household=household,
        village=village if village is not None else session.get(Village, household.village_id),
        people=[(p, coverage(p, today)) for p in people],
        responsible=session.exec(_HOLDER, params=of_household).first(),
        visits=read_rows(session, _RECENT_VISITS, of_household),
        enrolments=read_rows(session, _ENROLMENTS, of_household),
    )


# --- lists and lookups for the pages ----------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass
class HouseholdRow:
    household: Household
    people: int
    responsible: Optional[str]


@dataclass
class VillageListing:
    rows: list[HouseholdRow]
    groups: list[str]
    group: Optional[str]
    archived: bool
    page: int
    pages: int
    total: int


def village_households(session: Session, village: Village, *, group: Optional[str], archived: bool,
                       page: int) -> VillageListing:
    from sqlalchemy import func

    conditions = [Household.village_id == village.id,
                  Household.archived_at.is_not(None) if archived else Household.archived_at.is_(None)]
    if group:
        conditions.append(Household.hamlet_group == group)
    total = session.exec(select(func.count(Household.id)).where(*conditions)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    people = (select(func.count(Person.id)).where(Person.household_id == Household.id, Person.archived_at.is_(None))
              .scalar_subquery())
    responsible = (
        select(CommitteeMember.full_name)
        .join(Assignment, Assignment.member_id == CommitteeMember.id)
        .where(Assignment.household_id == Household.id, Assignment.valid_to.is_(None))
        .limit(1).scalar_subquery()
    )
    rows = session.exec(
        select(Household, people, responsible).where(*conditions)
        .order_by(Household.code).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    groups = [g for g in session.exec(
        select(Household.hamlet_group).where(Household.village_id == village.id, Household.hamlet_group.is_not(None))
        .distinct().order_by(Household.hamlet_group)
    ).all()]
    return VillageListing(rows=[HouseholdRow(h, n, r) for h, n, r in rows], groups=groups, group=group,
                          archived=archived, page=page, pages=pages, total=total)


def village_choices(session: Session, user: User, household: Household) -> list[tuple[int, str]]:
    """The villages a household can move to: the other villages of its commune that the user may see."""
    from ..security import village_scope

    commune_id = session.exec(select(Village.commune_id).where(Village.id == household.village_id)).one()
    villages = session.exec(
        select(Village).where(Village.commune_id == commune_id, Village.id != household.village_id, village_scope(user))
        .order_by(Village.code)
    ).all()
    return [(v.id, v.name) for v in villages]


def household_by_code_for_merge(session: Session, user: User, keep: Household, code: str) -> Household:
    """The household with ``code`` in the same commune as ``keep`` and in the user's scope."""
    from ..security import household_scope

    commune_id = session.exec(select(Village.commune_id).where(Village.id == keep.village_id)).one()
    matches = session.exec(
        select(Household).join(Village, Village.id == Household.village_id)
        .where(Household.code == (nfc(code) or ""), Village.commune_id == commune_id, household_scope(user),
               Household.archived_at.is_(None), Household.id != keep.id)
    ).all()
    if not matches:
        raise RegistryError(str(_l("Không tìm thấy hộ đang hoạt động có mã %(code)s trong xã; hãy kiểm tra lại mã.",
                                   code=code)), "other_code")
    if len(matches) > 1:
        raise RegistryError(str(_l("Có nhiều hộ mang mã %(code)s ở các thôn khác nhau; hãy gộp từ trang của hộ đó.",
                                   code=code)), "other_code")
    return matches[0]


@dataclass
class PersonPage:
    person: Person
    household: Household
    coverage: Coverage
    duplicates: list[DuplicateHit]
    consent_by: Optional[User]
    can_consent: bool
    merged_into: Optional[Person]
    support_group: str = "other"


def person_page(session: Session, user: User, person: Person, household: Household, today: date) -> PersonPage:
    from ..models import Role
    from ..security import household_scope, is_assigned_to

    commune_id = session.exec(select(Village.commune_id).where(Village.id == household.village_id)).one()
    duplicates = []
    if person.archived_at is None:
        duplicates = [
            hit for hit in find_duplicates(
                session, commune_id=commune_id, village_id=household.village_id, full_name=person.full_name,
                birth_year=person.birth_year, cccd=person.cccd, bhxh_code=person.bhxh_code,
                exclude_person_id=person.id)
            if session.exec(select(Household.id).where(Household.id == hit.household.id, household_scope(user))).first()
        ]
    can_consent = user.role != Role.MEMBER or is_assigned_to(session, user, household)
    from ..enrolments.services import place_of, support_groups
    from ..policy import SUPPORT_GROUP_ORDER

    groups = {g.value for g in support_groups(person, household, place_of(session, household))}
    return PersonPage(
        support_group=min(groups, key=SUPPORT_GROUP_ORDER.index),
        person=person, household=household, coverage=coverage(person, today), duplicates=duplicates,
        consent_by=session.get(User, person.consent_by_id) if person.consent_by_id else None,
        can_consent=can_consent,
        merged_into=session.get(Person, person.merged_into_id) if person.merged_into_id else None,
    )


def duplicates_for_new_values(session: Session, household: Household, values: dict[str, Any],
                              person_id: Optional[int]) -> list[DuplicateHit]:
    commune_id = session.exec(select(Village.commune_id).where(Village.id == household.village_id)).one()
    birth_date = values.get("birth_date")
    return find_duplicates(
        session, commune_id=commune_id, village_id=household.village_id, full_name=values.get("full_name") or "",
        birth_year=birth_date.year if birth_date else values.get("birth_year"),
        cccd=rules.normalise_digits(values.get("cccd")), bhxh_code=rules.normalise_digits(values.get("bhxh_code")),
        exclude_person_id=person_id,
    )


def correctable_visits(session: Session, user: User, household: Household,
                       visits: Optional[list] = None) -> set[int]:
    """Ids of the household's recent visits this user may still correct (the 24-hour rule for members); ``visits``:
    the recent visits when the caller has them already (the household page: rows with the visits' id, member_id
    and created_at)."""
    from ..security import member_record
    from ..visits.services import can_correct

    member = member_record(session, user)
    now = utcnow()
    if visits is None:
        visits = session.exec(select(Visit).where(Visit.household_id == household.id)
                              .order_by(Visit.visited_at.desc()).limit(RECENT_VISITS)).all()
    return {v.id for v in visits if can_correct(v, user, member, now)}
