"""Administrative changes: a commune or village renamed, or merged into another, from a date.

Choices (the reasons are in docs of each function):

- Ids never change. A merge moves what *lives* in a unit (households and so their people, visits, enrolments,
  follow-ups and assignments; logins; a commune's villages, donors and events) to the survivor, and leaves what was
  *recorded about* the unit (printed reports, finished targets, the unit row itself) where it was, as history. The
  merged unit is marked (``merged_into_id``, ``merged_on``, ``valid_to``) and is no longer active.
- Printed reports are never touched: their PDF and figures keep the names printed on them, and they stay keyed by the
  old village and commune ids, so they download byte for byte as before.
- The ``name`` column holds the current name; ``unit_change`` keeps every old one, so :func:`name_on` can tell the
  name in force on any past day.
- The data moves when the change is recorded (in one transaction: everything or nothing); the effective date is what
  the history, the names in force and the carrying-over of targets use. It may be at most
  :data:`MAX_DAYS_AHEAD` days ahead (a decision is recorded in the days before it takes effect), and never before the
  unit (or the survivor) existed.

Services flush, never commit; the request (or the CLI command) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..households import search
from ..models import (
    AuditEvent,
    Committee,
    CommitteeMember,
    Commune,
    Donor,
    Enrolment,
    FollowUp,
    FollowUpStatus,
    Household,
    Indicator,
    OutreachEvent,
    Person,
    Report,
    Target,
    UnitChange,
    UnitChangeKind,
    UnitKind,
    User,
    Village,
    Visit,
)
from ..text import format_date, nfc

MAX_DAYS_AHEAD = 31
NAME_MAX = 120
NOTE_MAX = 500


class UnitError(ValueError):
    """Bad input for a change: the message says how to fix it; nothing has been written."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- reading ------------------------------------------------------------------------------------------------------


def is_active(unit: Commune | Village) -> bool:
    return unit.merged_into_id is None


def absorbed_commune_ids(session: Session, commune_id: int) -> set[int]:
    """The commune and every commune merged into it, directly or through another merge: whose history it holds."""
    found, frontier = {commune_id}, {commune_id}
    while frontier:
        frontier = set(session.exec(select(Commune.id).where(Commune.merged_into_id.in_(frontier))).all()) - found
        found |= frontier
    return found


def name_on(session: Session, unit_type: UnitKind, unit: Commune | Village, day: date) -> str:
    """The unit's name in force on ``day``: the old name of the first rename that took effect after that day."""
    first_later = session.exec(
        select(UnitChange.old_name).where(UnitChange.unit_type == unit_type, UnitChange.unit_id == unit.id,
                                          UnitChange.kind == UnitChangeKind.RENAME, UnitChange.effective_on > day)
        .order_by(UnitChange.effective_on, UnitChange.id)
    ).first()
    return first_later or unit.name


@dataclass
class CommuneRow:
    commune: Commune
    villages: list[Village]
    merged_villages: list[Village]


def listing(session: Session) -> tuple[list[CommuneRow], list[Commune]]:
    """Communes in use (with villages or logins), each with its active and merged villages; and merged communes
    (which, merged, have neither any more)."""
    in_use = select(Village.commune_id).union(select(User.commune_id).where(User.commune_id.is_not(None)))
    communes = session.exec(select(Commune).where(Commune.id.in_(in_use) | Commune.merged_into_id.is_not(None))
                            .order_by(Commune.name)).all()
    villages = session.exec(select(Village).where(Village.commune_id.in_([c.id for c in communes]))
                            .order_by(Village.code)).all()
    rows, merged = [], []
    for commune in communes:
        if not is_active(commune):
            merged.append(commune)
            continue
        own = [v for v in villages if v.commune_id == commune.id]
        rows.append(CommuneRow(commune, [v for v in own if is_active(v)], [v for v in own if not is_active(v)]))
    return rows, merged


def village_choices(session: Session, village: Village) -> list[tuple[int, str]]:
    """Active villages another village may be merged into: its own commune's first, then the others in use."""
    rows = session.exec(select(Village, Commune).join(Commune, Commune.id == Village.commune_id)
                        .where(Village.merged_into_id.is_(None), Village.id != village.id)
                        .order_by(Commune.name, Village.code)).all()
    rows = sorted(rows, key=lambda r: r[1].id != village.commune_id)
    return [(v.id, f"{v.name} — {c.name}") for v, c in rows]


def history(session: Session) -> list[UnitChange]:
    return list(session.exec(select(UnitChange).order_by(UnitChange.effective_on.desc(),
                                                         UnitChange.id.desc())).all())


def commune_by_code(session: Session, code: str) -> Commune:
    code = (code or "").strip()
    commune = session.exec(select(Commune).where(Commune.code == code)).first() if code else None
    if commune is None:
        raise UnitError(_("Không tìm thấy xã, phường có mã %(code)s. Hãy nhập đúng mã 5 chữ số trong danh mục "
                          "đơn vị hành chính.", code=code or "…"), "into")
    return commune


# --- checks -------------------------------------------------------------------------------------------------------


def _check_date(effective_on: Optional[date], today: date, *units: Commune | Village) -> date:
    if effective_on is None:
        raise UnitError(_("Hãy chọn ngày bắt đầu có hiệu lực, ví dụ 01/07/2025."), "effective_on")
    latest = today + timedelta(days=MAX_DAYS_AHEAD)
    if effective_on > latest:
        raise UnitError(_("Ngày có hiệu lực quá xa: chỉ ghi nhận thay đổi có hiệu lực đến ngày %(d)s (%(n)s ngày "
                          "tới). Hãy ghi lại khi gần đến ngày.", d=format_date(latest), n=MAX_DAYS_AHEAD),
                        "effective_on")
    for unit in units:
        if effective_on < unit.valid_from:
            raise UnitError(_("%(name)s chỉ có từ ngày %(d)s; hãy chọn ngày có hiệu lực từ ngày đó trở đi.",
                              name=unit.name, d=format_date(unit.valid_from)), "effective_on")
    return effective_on


def _check_note(note: Optional[str]) -> Optional[str]:
    note = nfc((note or "").strip()) or None
    if note and len(note) > NOTE_MAX:
        raise UnitError(_("Ghi chú dài tối đa %(n)s ký tự; hãy rút gọn.", n=NOTE_MAX), "note")
    return note


def _check_new_name(unit: Commune | Village, new_name: Optional[str]) -> str:
    name = nfc(" ".join((new_name or "").split())) or ""
    if not name:
        raise UnitError(_("Hãy nhập tên mới, ví dụ “Xã Tam Tiến” hoặc “Thôn Đồng Bông”."), "new_name")
    if len(name) > NAME_MAX:
        raise UnitError(_("Tên dài tối đa %(n)s ký tự; hãy rút gọn.", n=NAME_MAX), "new_name")
    if name == unit.name:
        raise UnitError(_("Tên mới giống tên hiện tại; hãy nhập tên khác hoặc quay lại."), "new_name")
    return name


def _check_merge(unit: Commune | Village, into: Commune | Village, what: str) -> None:
    if into.id == unit.id:
        raise UnitError(_("Không thể sáp nhập %(what)s vào chính nó; hãy chọn %(what)s khác.", what=what), "into")
    if not is_active(unit):
        raise UnitError(_("%(name)s đã được sáp nhập từ ngày %(d)s; không thể sáp nhập lần nữa.",
                          name=unit.name, d=format_date(unit.merged_on)), "into")
    if not is_active(into):
        raise UnitError(_("%(name)s đã được sáp nhập vào đơn vị khác từ ngày %(d)s; hãy chọn đơn vị đang hoạt "
                          "động.", name=into.name, d=format_date(into.merged_on)), "into")


# --- renames ------------------------------------------------------------------------------------------------------


def _rename(session: Session, actor: Optional[User], unit_type: UnitKind, unit: Commune | Village, new_name: str,
            effective_on: Optional[date], note: Optional[str], today: date) -> UnitChange:
    name = _check_new_name(unit, new_name)
    day = _check_date(effective_on, today, unit)
    clean_note = _check_note(note)
    before = snapshot(unit)
    change = UnitChange(kind=UnitChangeKind.RENAME, unit_type=unit_type, unit_id=unit.id, effective_on=day,
                        old_name=unit.name, new_name=name, note=clean_note, actor_id=actor.id if actor else None)
    unit.name = name
    session.add_all([unit, change])
    session.flush()
    record(session, actor, "rename", unit, before=before,
           after={**snapshot(unit), "effective_on": day.isoformat(), "unit_change_id": change.id})
    return change


def rename_commune(session: Session, actor: Optional[User], commune: Commune, new_name: str,
                   effective_on: Optional[date], note: Optional[str], today: date) -> UnitChange:
    return _rename(session, actor, UnitKind.COMMUNE, commune, new_name, effective_on, note, today)


def rename_village(session: Session, actor: Optional[User], village: Village, new_name: str,
                   effective_on: Optional[date], note: Optional[str], today: date) -> UnitChange:
    return _rename(session, actor, UnitKind.VILLAGE, village, new_name, effective_on, note, today)


# --- what a merge moves ---------------------------------------------------------------------------------------------


@dataclass
class Moves:
    """What a merge moves (and what it keeps in place), counted before doing it: the confirmation page shows it."""

    villages: int = 0
    households: int = 0
    people: int = 0
    visits: int = 0
    enrolments: int = 0
    open_follow_ups: int = 0
    committee_members: int = 0
    logins: int = 0
    donors: int = 0
    events: int = 0
    targets_carried: int = 0
    targets_kept: int = 0
    reports_kept: int = 0
    recoded_villages: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _count(session: Session, query) -> int:
    return int(session.exec(query).one() or 0)


def _count_households(session: Session, moves: Moves, village_ids: list[int]) -> None:
    in_villages = Household.village_id.in_(village_ids)
    moves.households = _count(session, select(func.count(Household.id)).where(in_villages))
    moves.people = _count(session, select(func.count(Person.id)).join(Household, Household.id == Person.household_id)
                          .where(in_villages))
    moves.visits = _count(session, select(func.count(Visit.id)).join(Household, Household.id == Visit.household_id)
                          .where(in_villages))
    moves.enrolments = _count(session, select(func.count(Enrolment.id))
                              .join(Person, Person.id == Enrolment.person_id)
                              .join(Household, Household.id == Person.household_id).where(in_villages))
    moves.open_follow_ups = _count(session, select(func.count(FollowUp.id))
                                   .join(Household, Household.id == FollowUp.household_id)
                                   .where(in_villages, FollowUp.status == FollowUpStatus.OPEN))


def _running(day: date):
    return Target.period_end >= day


def _current_committee(session: Session, village_id: int) -> Optional[Committee]:
    return session.exec(select(Committee).where(Committee.village_id == village_id,
                                                Committee.dissolved_on.is_(None))).first()


def _current_members(session: Session, committee: Optional[Committee]) -> list[CommitteeMember]:
    if committee is None:
        return []
    return list(session.exec(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id,
                                                           CommitteeMember.left_on.is_(None))).all())


def village_moves(session: Session, village: Village, into: Village, effective_on: date) -> Moves:
    _check_household_codes(session, village, into)
    moves = Moves()
    _count_households(session, moves, [village.id])
    moves.committee_members = len(_current_members(session, _current_committee(session, village.id)))
    moves.logins = _count(session, select(func.count(User.id)).where(User.village_id == village.id))
    targets = session.exec(select(Target).where(Target.village_id == village.id)).all()
    moves.targets_carried = sum(1 for t in targets if t.period_end >= effective_on)
    moves.targets_kept = len(targets) - moves.targets_carried
    moves.reports_kept = _count(session, select(func.count(Report.id)).where(Report.village_id == village.id))
    if into.commune_id != village.commune_id:
        clash = session.exec(select(Village.id).where(Village.commune_id == into.commune_id,
                                                      Village.code == village.code)).first()
        if clash is not None:
            old_commune = session.get(Commune, village.commune_id)
            moves.recoded_villages[village.code] = _recode(f"{old_commune.code}-{village.code}", village.id)
    return moves


def commune_moves(session: Session, commune: Commune, into: Commune, effective_on: date) -> Moves:
    moves = Moves()
    villages = session.exec(select(Village).where(Village.commune_id == commune.id)).all()
    ids = [v.id for v in villages]
    moves.villages = len(villages)
    _count_households(session, moves, ids)
    taken = set(session.exec(select(Village.code).where(Village.commune_id == into.id)).all())
    for v in villages:
        if v.code in taken:
            moves.recoded_villages[v.code] = _recode(f"{commune.code}-{v.code}", v.id)
    moves.logins = _count(session, select(func.count(User.id)).where(User.commune_id == commune.id))
    moves.donors = _count(session, select(func.count(Donor.id)).where(Donor.commune_id == commune.id))
    moves.events = _count(session, select(func.count(OutreachEvent.id)).where(OutreachEvent.commune_id == commune.id))
    targets = session.exec(select(Target).where(Target.commune_id == commune.id)).all()
    moves.targets_carried = sum(1 for t in targets if t.period_end >= effective_on)
    moves.targets_kept = len(targets) - moves.targets_carried
    moves.reports_kept = _count(session, select(func.count(Report.id)).where(Report.commune_id == commune.id))
    return moves


def _recode(code: str, village_id: int) -> str:
    """A village code free in the survivor: the old commune's code before it (kept short enough for the column)."""
    return code if len(code) <= 20 else f"SN{village_id}"[:20]


def preview(session: Session, unit_type: UnitKind, unit: Commune | Village, into: Commune | Village,
            effective_on: Optional[date], note: Optional[str], today: date) -> Moves:
    """Check a merge as :func:`merge_commune` / :func:`merge_village` will, and count what it would move."""
    _check_merge(unit, into, _("xã") if unit_type == UnitKind.COMMUNE else _("thôn"))
    day = _check_date(effective_on, today, unit, into)
    _check_note(note)
    if unit_type == UnitKind.COMMUNE:
        return commune_moves(session, unit, into, day)
    return village_moves(session, unit, into, day)


def units_by_id(session: Session, changes: list[UnitChange]) -> dict[UnitKind, dict[int, Commune | Village]]:
    """The communes and villages the changes are about (as they are now), for the history page's links."""
    ids = {kind: {i for c in changes if c.unit_type == kind for i in (c.unit_id, c.into_id) if i}
           for kind in (UnitKind.COMMUNE, UnitKind.VILLAGE)}
    communes = session.exec(select(Commune).where(Commune.id.in_(ids[UnitKind.COMMUNE]))).all()
    villages = session.exec(select(Village).where(Village.id.in_(ids[UnitKind.VILLAGE]))).all()
    return {UnitKind.COMMUNE: {c.id: c for c in communes}, UnitKind.VILLAGE: {v.id: v for v in villages}}


# --- targets --------------------------------------------------------------------------------------------------------


def _carry_target(session: Session, target: Target, commune_id: int, village_id: Optional[int]) -> Target:
    """Add a running unit-level target's value to the survivor's matching target (same indicator and period),
    creating it when the survivor has none. The survivor now counts the merged unit's work for the whole period
    (its households moved with their enrolments), so its bar must include the merged unit's bar. A coverage rate is
    not a count: the survivor's rate stays; a new one takes the merged unit's rate."""
    match = session.exec(select(Target).where(
        Target.commune_id == commune_id,
        Target.village_id == village_id if village_id is not None else Target.village_id.is_(None),
        Target.member_id.is_(None), Target.indicator == target.indicator, Target.period_kind == target.period_kind,
        Target.period_start == target.period_start, Target.period_end == target.period_end)).first()
    if match is None:
        match = Target(commune_id=commune_id, village_id=village_id, indicator=target.indicator,
                       period_kind=target.period_kind, label=target.label, period_start=target.period_start,
                       period_end=target.period_end, deadline=target.deadline, value=target.value,
                       created_by_id=target.created_by_id)
    elif target.indicator != Indicator.BHYT_COVERAGE:
        match.value += target.value
    session.add(match)
    session.flush()
    return match


def _reparent(session: Session, old: Target, new: Target, commune_id: int, village_id: Optional[int],
              day: date) -> None:
    """Running targets split from a carried one now belong to the survivor's target."""
    children = session.exec(select(Target).where(Target.parent_id == old.id, _running(day))).all()
    for child in children:
        child.parent_id = new.id
        child.commune_id = commune_id
        if village_id is not None:
            child.village_id = village_id
        session.add(child)


# --- merges ---------------------------------------------------------------------------------------------------------


def _check_household_codes(session: Session, village: Village, into: Village) -> None:
    """Household codes are unique within a village: a clash would break the merge, so it is refused up front."""
    codes = select(Household.code).where(Household.village_id == into.id)
    clashes = list(session.exec(select(Household.code).where(Household.village_id == village.id,
                                                             Household.code.in_(codes))
                                .order_by(Household.code).limit(6)).all())
    if clashes:
        shown = ", ".join(clashes[:5]) + ("…" if len(clashes) > 5 else "")
        raise UnitError(_("Một số hộ của %(a)s trùng mã với hộ của %(b)s: %(codes)s. Hãy đổi mã các hộ này rồi "
                          "sáp nhập lại.", a=village.name, b=into.name, codes=shown), "into")


def merge_village(session: Session, actor: Optional[User], village: Village, into: Village,
                  effective_on: Optional[date], note: Optional[str], today: date) -> UnitChange:
    """Merge ``village`` into ``into`` from ``effective_on``.

    Households (with their people, visits, enrolments, follow-ups and assignments, which hang on households) move.
    The committee's current members join the survivor's committee (keeping their member ids, so their assignments,
    visits and member targets stay theirs; the merged village's head is no longer head) and the old committee is
    dissolved on the date; with no committee in the survivor, the old committee moves as a whole. Logins follow
    their village. Running village targets are carried over (see :func:`_carry_target`); finished ones, printed
    reports, outreach events and import batches stay with the old village, as history. The old village moves to the
    survivor's commune, so its history pages stay reachable by that commune's officials.
    """
    _check_merge(village, into, _("thôn"))
    day = _check_date(effective_on, today, village, into)
    clean_note = _check_note(note)
    moves = village_moves(session, village, into, day)
    before = snapshot(village)
    moved_households = list(session.exec(select(Household.id).where(Household.village_id == village.id)).all())
    session.exec(update(Household).where(Household.village_id == village.id).values(village_id=into.id))

    old_committee, new_committee = _current_committee(session, village.id), _current_committee(session, into.id)
    if old_committee is not None and new_committee is None:
        old_committee.village_id = into.id
        session.add(old_committee)
    elif old_committee is not None:
        for member in _current_members(session, old_committee):
            member.committee_id, member.is_head = new_committee.id, False
            session.add(member)
        old_committee.dissolved_on = day
        session.add(old_committee)

    for user in session.exec(select(User).where(User.village_id == village.id)).all():
        user_before = snapshot(user, ["village_id", "commune_id"])
        user.village_id, user.commune_id = into.id, into.commune_id
        session.add(user)
        session.flush()
        record(session, actor, "update", user, before=user_before, after=snapshot(user, ["village_id", "commune_id"]))

    running = list(session.exec(select(Target).where(Target.village_id == village.id, _running(day))).all())
    for target in running:
        if target.member_id is None:
            carried = _carry_target(session, target, into.commune_id, into.id)
            _reparent(session, target, carried, into.commune_id, into.id, day)
            if carried.parent_id is None and target.parent_id is not None and into.commune_id == village.commune_id:
                carried.parent_id = target.parent_id  # a new target of the survivor, split from the same commune bar
                session.add(carried)
    for target in running:  # a member's target follows the member, who moved with the committee
        if target.member_id is not None and target.village_id == village.id:
            target.village_id, target.commune_id = into.id, into.commune_id
            session.add(target)

    if moves.recoded_villages:
        village.code = moves.recoded_villages[village.code]
    village.commune_id = into.commune_id
    village.merged_into_id, village.merged_on = into.id, day
    village.valid_to = day - timedelta(days=1)
    session.add(village)
    change = UnitChange(kind=UnitChangeKind.MERGE, unit_type=UnitKind.VILLAGE, unit_id=village.id, into_id=into.id,
                        effective_on=day, old_name=village.name, into_name=into.name, note=clean_note,
                        moved=moves.as_dict(), actor_id=actor.id if actor else None)
    session.add(change)
    session.flush()
    search.rebuild(session, [village.id, into.id])
    # Each household's own history says where it went and why (one row each, written in bulk).
    session.add_all([AuditEvent(user_id=actor.id if actor else None, action="move", entity="household",
                                entity_id=household_id, before={"village_id": village.id},
                                after={"village_id": into.id})
                     for household_id in moved_households])
    record(session, actor, "merge", village, before=before,
           after={**snapshot(village), "unit_change_id": change.id, "moved": moves.as_dict()})
    return change


def merge_commune(session: Session, actor: Optional[User], commune: Commune, into: Commune,
                  effective_on: Optional[date], note: Optional[str], today: date) -> UnitChange:
    """Merge ``commune`` into ``into`` from ``effective_on``.

    Every village moves (its id stays, so everything recorded about it stays attached; a code already used in the
    survivor gets the old commune's code before it). Officials and members keep working, now in the survivor (in
    the 2025 reorganisation the staff of merged communes moved to the new commune); their logins follow. Donors and
    outreach events move (they are about the same people). Running targets are carried over; finished ones and the
    printed reports stay with the merged commune as history, still readable by the survivor's officials.
    """
    _check_merge(commune, into, _("xã"))
    day = _check_date(effective_on, today, commune, into)
    clean_note = _check_note(note)
    moves = commune_moves(session, commune, into, day)
    before = snapshot(commune)
    villages = list(session.exec(select(Village).where(Village.commune_id == commune.id)).all())
    for village in villages:
        village.code = moves.recoded_villages.get(village.code, village.code)
        village.commune_id = into.id
        session.add(village)
    session.flush()

    for user in session.exec(select(User).where(User.commune_id == commune.id)).all():
        user_before = snapshot(user, ["village_id", "commune_id"])
        user.commune_id = into.id
        session.add(user)
        session.flush()
        record(session, actor, "update", user, before=user_before, after=snapshot(user, ["village_id", "commune_id"]))
    session.exec(update(Donor).where(Donor.commune_id == commune.id).values(commune_id=into.id))
    session.exec(update(OutreachEvent).where(OutreachEvent.commune_id == commune.id).values(commune_id=into.id))

    running = list(session.exec(select(Target).where(Target.commune_id == commune.id, _running(day))).all())
    for target in running:
        if target.village_id is None and target.member_id is None:
            carried = _carry_target(session, target, into.id, None)
            _reparent(session, target, carried, into.id, None, day)
    for target in running:  # village and member targets not re-parented above: their village now is the survivor's
        if target.village_id is not None and target.commune_id == commune.id:
            target.commune_id = into.id
            session.add(target)

    commune.merged_into_id, commune.merged_on = into.id, day
    commune.valid_to = day - timedelta(days=1)
    session.add(commune)
    change = UnitChange(kind=UnitChangeKind.MERGE, unit_type=UnitKind.COMMUNE, unit_id=commune.id, into_id=into.id,
                        effective_on=day, old_name=commune.name, into_name=into.name, note=clean_note,
                        moved=moves.as_dict(), actor_id=actor.id if actor else None)
    session.add(change)
    session.flush()
    if villages:
        search.rebuild(session, [v.id for v in villages])
    record(session, actor, "merge", commune, before=before,
           after={**snapshot(commune), "unit_change_id": change.id, "moved": moves.as_dict()})
    return change
