"""Who is responsible for which household: assigning one, many, auto-balancing, handover, and the reviews.

Services flush, never commit; the request commits once. Every change is audited.

History is never overwritten: reassigning closes the open row (``valid_to`` = today) and opens a new one
(``valid_from`` = today); a partial unique index allows one open row per household. When a household changes hands,
the open follow-ups the previous member had on it go with it, so the new member's worklist and the review agree.

"In outreach" = not archived and outreach not stopped. Loads, the unassigned count and "not visited in 30 days" count
only those households; auto-balance moves only those. A household whose outreach stopped can still be assigned by
hand (it may need a member again, e.g. when it moves back); an archived one cannot (restore it first).
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, or_
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..households.services import RegistryError
from ..models import (
    Assignment,
    Committee,
    CommitteeMember,
    FollowUp,
    FollowUpStatus,
    Household,
    Role,
    User,
    Village,
    Visit,
)
from ..security import member_record, village_scope
from ..text import LOCAL_TZ
from ..worklist.services import STALE_AFTER

UNASSIGNED_SHOWN = 50
PAGE_SIZE = 100

# --- who may assign ------------------------------------------------------------------------------------------------


def can_assign(session: Session, user: User, village: Village) -> bool:
    """Admins; officials of the village's commune; the active head of the village's current committee."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.OFFICIAL:
        return user.commune_id is not None and user.commune_id == village.commune_id
    if user.role != Role.MEMBER or user.village_id != village.id:
        return False
    member = member_record(session, user)
    if member is None or not member.is_head or member.left_on is not None:
        return False
    committee = session.get(Committee, member.committee_id)
    return committee is not None and committee.village_id == village.id and committee.dissolved_on is None


# --- small queries -------------------------------------------------------------------------------------------------


def _in_outreach():
    return Household.archived_at.is_(None), Household.outreach_stopped.is_(None)


def active_members(session: Session, village: Village) -> list[CommitteeMember]:
    """Members who can take households: not left, in the village's current committee; ordered by id."""
    return list(session.exec(
        select(CommitteeMember).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(Committee.village_id == village.id, Committee.dissolved_on.is_(None),
               CommitteeMember.left_on.is_(None))
        .order_by(CommitteeMember.id)
    ).all())


def _open_assignments(session: Session, household_ids: Iterable[int]) -> dict[int, Assignment]:
    ids = list(household_ids)
    if not ids:
        return {}
    rows = session.exec(select(Assignment).where(Assignment.household_id.in_(ids), Assignment.valid_to.is_(None)))
    return {row.household_id: row for row in rows}


def _recently_visited(today: date):
    """Households visited on one of the last 30 local days (today included): the worklist's "stale" boundary."""
    first_day = today - STALE_AFTER + timedelta(days=1)
    cutoff = datetime.combine(first_day, time.min, LOCAL_TZ).astimezone(timezone.utc)
    return select(Visit.household_id).where(Visit.visited_at >= cutoff)


def _visited_lately(today: date):
    """The household was visited on one of the last 30 local days: a correlated EXISTS, which looks each household up
    in the visits' (household_id, visited_at) index rather than collecting every recent visit of the deployment."""
    first_day = today - STALE_AFTER + timedelta(days=1)
    cutoff = datetime.combine(first_day, time.min, LOCAL_TZ).astimezone(timezone.utc)
    return exists().where(Visit.household_id == Household.id, Visit.visited_at >= cutoff)


def _code_key(household: Household) -> tuple:
    """Household codes in natural order: T01-2 before T01-10."""
    parts = re.split(r"(\d+)", household.code)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), household.id


def _member_error() -> RegistryError:
    return RegistryError(str(_l("Người được chọn không phải thành viên đang hoạt động của ban vận động thôn này; "
                                "hãy chọn một người trong danh sách.")), "member_id")


def member_for_village(session: Session, village: Village, member_id: Optional[int]) -> CommitteeMember:
    """The active member of the village's current committee with this id; a RegistryError the user can fix if not."""
    if member_id is None:
        raise RegistryError(str(_l("Hãy chọn thành viên sẽ phụ trách hộ.")), "member_id")
    member = next((m for m in active_members(session, village) if m.id == member_id), None)
    if member is None:
        raise _member_error()
    return member


def _check_active_in(session: Session, member: CommitteeMember, village_id: int) -> None:
    committee = session.get(Committee, member.committee_id)
    if (member.left_on is not None or committee is None or committee.village_id != village_id
            or committee.dissolved_on is not None):
        raise _member_error()


def households_for_ids(session: Session, village: Village, ids: Sequence[int]) -> list[Household]:
    """The households ticked in the village's list: every id must be a household of this village, or nothing."""
    wanted = set(ids)
    if not wanted:
        raise RegistryError(str(_l("Chưa chọn hộ nào; hãy đánh dấu các hộ cần giao rồi bấm Giao.")),
                            "household_ids")
    found = session.exec(select(Household).where(Household.id.in_(wanted), Household.village_id == village.id)).all()
    if len(found) != len(wanted):
        raise RegistryError(str(_l("Có hộ đã chọn không thuộc thôn này (có thể vừa được chuyển thôn); chưa giao hộ "
                                   "nào. Hãy tải lại trang và chọn lại.")), "household_ids")
    return sorted(found, key=_code_key)


# --- moving households between members ----------------------------------------------------------------------------


def _apply(session: Session, plan: dict[int, int], current: dict[int, Assignment], *, actor: Optional[User],
           today: date) -> tuple[int, int]:
    """Give each household in ``plan`` (household id → member id) to its member; returns (households, follow-ups)
    that changed hands. Households already with their member are left alone."""
    changes = {hid: mid for hid, mid in sorted(plan.items())
               if hid not in current or current[hid].member_id != mid}
    if not changes:
        return 0, 0
    closed = []
    for hid in changes:
        row = current.get(hid)
        if row is not None:
            closed.append((row, snapshot(row)))
            row.valid_to = today
            session.add(row)
    session.flush()  # the open rows close before the new ones open: one open row per household
    opened = [Assignment(household_id=hid, member_id=mid, valid_from=today,
                         assigned_by_id=actor.id if actor else None) for hid, mid in changes.items()]
    session.add_all(opened)
    session.flush()
    for row, before in closed:
        record(session, actor, "end", row, before=before, after=snapshot(row))
    for row in opened:
        record(session, actor, "assign", row, after=snapshot(row))
    previous = {hid: current[hid].member_id for hid in changes if hid in current}
    follow_ups = _move_follow_ups(session, {hid: (old, changes[hid]) for hid, old in previous.items()}, actor=actor)
    return len(changes), follow_ups


def _move_follow_ups(session: Session, moves: dict[int, tuple[int, int]], *, actor: Optional[User]) -> int:
    """Open follow-ups the previous member had on a household go to its new member."""
    if not moves:
        return 0
    rows = session.exec(select(FollowUp).where(FollowUp.household_id.in_(list(moves)),
                                               FollowUp.status == FollowUpStatus.OPEN).order_by(FollowUp.id)).all()
    moved = 0
    for row in rows:
        old, new = moves[row.household_id]
        if row.member_id == old:
            _set_follow_up_member(session, row, new, actor=actor)
            moved += 1
    return moved


def _set_follow_up_member(session: Session, row: FollowUp, member_id: int, *, actor: Optional[User]) -> None:
    before = snapshot(row, ["member_id"])
    row.member_id = member_id
    session.add(row)
    session.flush()
    record(session, actor, "reassign", row, before=before, after=snapshot(row, ["member_id"]))


def _check_assignable(households: Sequence[Household], member: CommitteeMember, session: Session) -> None:
    for household in households:
        _check_active_in(session, member, household.village_id)
        if household.archived_at is not None:
            raise RegistryError(str(_l("Hộ %(code)s (%(name)s) đã lưu trữ; hãy khôi phục hộ trước khi phân công.",
                                       code=household.code, name=household.head_name)), "household_ids")


def assign(session: Session, household: Household, member: CommitteeMember, *, actor: Optional[User],
           today: date) -> bool:
    """Make ``member`` responsible for ``household`` from today; False when they already are (nothing written)."""
    _check_assignable([household], member, session)
    changed, _follow_ups = _apply(session, {household.id: member.id}, _open_assignments(session, [household.id]),
                                  actor=actor, today=today)
    return changed == 1


def assign_many(session: Session, households: Sequence[Household], member: CommitteeMember, *,
                actor: Optional[User], today: date) -> int:
    """Give every household to ``member`` (all or none); returns how many changed hands."""
    if not households:
        raise RegistryError(str(_l("Chưa chọn hộ nào; hãy đánh dấu các hộ cần giao rồi bấm Giao.")),
                            "household_ids")
    _check_assignable(households, member, session)
    ids = [h.id for h in households]
    changed, _follow_ups = _apply(session, {hid: member.id for hid in ids}, _open_assignments(session, ids),
                                  actor=actor, today=today)
    return changed


# --- auto-balance ----------------------------------------------------------------------------------------------------


def _groups(households: Iterable[Household]) -> list[tuple[Optional[str], list[Household]]]:
    by_group: dict[Optional[str], list[Household]] = defaultdict(list)
    for household in households:
        by_group[household.hamlet_group].append(household)
    return [(g, sorted(hs, key=_code_key)) for g, hs in by_group.items()]


def _fill_evenly(loads: dict[int, int], units: int, order: list[int]) -> dict[int, int]:
    """How many more each member takes so that ``units`` raise the lowest loads first (ties: member order)."""
    heap = [(loads[m], i, m) for i, m in enumerate(order)]
    heapq.heapify(heap)
    extra = dict.fromkeys(order, 0)
    for _ in range(units):
        load, i, m = heapq.heappop(heap)
        extra[m] += 1
        heapq.heappush(heap, (load + 1, i, m))
    return extra


def pack(pieces: list[tuple[Optional[str], list[Household]]], caps: dict[int, int], order: list[int],
         affinity: Optional[dict[int, set]] = None) -> dict[int, int]:
    """Share out groups of households (each in code order) so that member m receives exactly ``caps[m]``.

    Largest group first. A group that fits whole goes to a member already working in that group if one has room,
    else to the member whose room it fills best. A group too big for anyone fills the member with the most room
    with its first households (by code) and the rest goes back in the queue, so the pieces stay contiguous and a
    group is cut only where capacity forces it. Deterministic: ties by group name, member order, household code.
    """
    assert sum(caps.values()) == sum(len(hs) for _g, hs in pieces)
    caps = dict(caps)
    rank = {m: i for i, m in enumerate(order)}
    affinity = {m: set((affinity or {}).get(m, ())) for m in order}
    queue = [(g, hs) for g, hs in pieces if hs]
    plan: dict[int, int] = {}
    while queue:
        queue.sort(key=lambda p: (-len(p[1]), p[0] is None, p[0] or "", _code_key(p[1][0])))
        group, households = queue.pop(0)
        fits = [m for m in order if caps[m] >= len(households)]
        if fits:
            member = min(fits, key=lambda m: (group not in affinity[m], caps[m], rank[m]))
            take = households
        else:
            member = min((m for m in order if caps[m] > 0),
                         key=lambda m: (-caps[m], group not in affinity[m], rank[m]))
            take = households[:caps[member]]
            queue.append((group, households[caps[member]:]))
        for household in take:
            plan[household.id] = member
        caps[member] -= len(take)
        affinity[member].add(group)
    return plan


@dataclass
class LoadChange:
    member: CommitteeMember
    before: int
    after: int


@dataclass
class BalanceResult:
    changed: int  # households that changed hands (or got their first member)
    considered: int  # households the balance could move
    follow_ups: int  # open follow-ups that went with their household
    loads: list[LoadChange] = field(default_factory=list)

    @property
    def spread_before(self) -> int:
        return max(c.before for c in self.loads) - min(c.before for c in self.loads) if self.loads else 0

    @property
    def spread_after(self) -> int:
        return max(c.after for c in self.loads) - min(c.after for c in self.loads) if self.loads else 0


def _no_members_error() -> RegistryError:
    return RegistryError(str(_l("Thôn chưa có thành viên ban vận động đang hoạt động; hãy thêm thành viên vào ban "
                                "trước khi chia hộ.")))


def _keep_first(households: list[Household], quota: int) -> list[Household]:
    """The ``quota`` households a member keeps: those of their biggest groups first, then by code."""
    sizes = Counter(h.hamlet_group for h in households)
    ordered = sorted(households, key=lambda h: (-sizes[h.hamlet_group], h.hamlet_group is None,
                                                h.hamlet_group or "", _code_key(h)))
    return ordered[:quota]


def auto_balance(session: Session, village: Village, *, only_unassigned: bool, actor: Optional[User],
                 today: date) -> BalanceResult:
    """Share the village's households in outreach across its active members, evening out the load.

    ``only_unassigned``: only households without a member move; members' current loads count, so the lightest
    are filled first. Otherwise every household in outreach is shared again; each member keeps as many of their
    current households as their share allows (fewer changes), and only the rest moves.
    """
    members = active_members(session, village)
    if not members:
        raise _no_members_error()
    order = [m.id for m in members]
    households = session.exec(select(Household).where(Household.village_id == village.id, *_in_outreach())).all()
    current = _open_assignments(session, [h.id for h in households])
    held: dict[int, list[Household]] = {m: [] for m in order}
    for household in households:
        row = current.get(household.id)
        if row is not None and row.member_id in held:
            held[row.member_id].append(household)
    before = {m: len(held[m]) for m in order}
    if only_unassigned:
        pool = [h for h in households if h.id not in current]
        caps = _fill_evenly(before, len(pool), order)
        kept = held
    else:
        base, extra = divmod(len(households), len(order))
        # The bigger shares go to those who hold most now: fewer households change hands.
        bigger = set(sorted(order, key=lambda m: (-before[m], order.index(m)))[:extra])
        quota = {m: base + (m in bigger) for m in order}
        kept = {m: _keep_first(held[m], quota[m]) for m in order}
        kept_ids = {h.id for hs in kept.values() for h in hs}
        pool = [h for h in households if h.id not in kept_ids]
        caps = {m: quota[m] - len(kept[m]) for m in order}
    affinity = {m: {h.hamlet_group for h in kept[m]} for m in order}
    plan = pack(_groups(pool), caps, order, affinity)
    changed, follow_ups = _apply(session, plan, current, actor=actor, today=today)
    after = Counter(plan.values())
    for m in order:
        after[m] += len(kept[m])
    return BalanceResult(changed=changed, considered=len(pool), follow_ups=follow_ups,
                         loads=[LoadChange(member, before[member.id], after[member.id]) for member in members])


# --- handover ------------------------------------------------------------------------------------------------------


@dataclass
class HandoverResult:
    households: int
    follow_ups: int
    receivers: list[tuple[CommitteeMember, int]]  # who received how many households


def holdings(session: Session, member: CommitteeMember) -> tuple[int, int]:
    """(households held, open follow-ups) of a member: what a handover would move."""
    households = session.exec(select(func.count(Assignment.id)).where(
        Assignment.member_id == member.id, Assignment.valid_to.is_(None))).one()
    follow_ups = session.exec(select(func.count(FollowUp.id)).where(
        FollowUp.member_id == member.id, FollowUp.status == FollowUpStatus.OPEN)).one()
    return households, follow_ups


def handover(session: Session, leaving: CommitteeMember, *, to: Optional[CommitteeMember], actor: Optional[User],
             today: date) -> HandoverResult:
    """Move everything ``leaving`` is responsible for, in one step: their households and their open follow-ups.

    ``to`` receives all of it; with ``to=None`` the households are shared across the village's other active members
    as auto-balance would (lightest first, groups kept together). A follow-up goes to whoever now holds its household.
    Works whether ``leaving`` has left the committee or is still active.
    """
    committee = session.get(Committee, leaving.committee_id)
    receivers = [m for m in active_members(session, session.get(Village, committee.village_id)) if m.id != leaving.id]
    if to is not None and to.id == leaving.id:
        raise RegistryError(str(_l("Không thể bàn giao cho chính người đang bàn giao; hãy chọn người khác.")),
                            "member_id")
    if to is not None and to.id not in {m.id for m in receivers}:
        raise _member_error()
    if not receivers:
        raise RegistryError(str(_l("Ban không còn thành viên nào khác đang hoạt động để nhận bàn giao; hãy thêm "
                                   "thành viên vào ban trước.")), "member_id")
    rows = session.exec(select(Assignment).where(Assignment.member_id == leaving.id, Assignment.valid_to.is_(None))
                        ).all()
    if not rows and not holdings(session, leaving)[1]:
        raise RegistryError(str(_l("%(name)s không còn phụ trách hộ nào và không có việc hẹn nào đang mở; không có "
                                   "gì để bàn giao.", name=leaving.full_name)))
    current = {row.household_id: row for row in rows}
    households = session.exec(select(Household).where(Household.id.in_(list(current)))).all() if current else []
    order = [m.id for m in receivers]
    if to is not None:
        plan = {h.id: to.id for h in households}
    else:
        caps = _fill_evenly(member_loads(session, order), len(households), order)
        plan = pack(_groups(households), caps, order, _groups_held(session, order))
    moved, follow_ups = _apply(session, plan, current, actor=actor, today=today)
    follow_ups += _hand_over_remaining_follow_ups(session, leaving, to, order, actor=actor)
    received = Counter(plan.values())
    return HandoverResult(households=moved, follow_ups=follow_ups,
                          receivers=[(m, received[m.id]) for m in receivers if received[m.id]])


def _groups_held(session: Session, member_ids: list[int]) -> dict[int, set]:
    """The xóm each member already works in: where a receiver's new households best fit."""
    groups: dict[int, set] = defaultdict(set)
    for member_id, group in session.exec(
        select(Assignment.member_id, Household.hamlet_group).join(Household, Household.id == Assignment.household_id)
        .where(Assignment.member_id.in_(member_ids), Assignment.valid_to.is_(None))
    ).all():
        groups[member_id].add(group)
    return groups


def member_loads(session: Session, member_ids: list[int]) -> dict[int, int]:
    """Households in outreach each member is responsible for now."""
    counts = dict(session.exec(
        select(Assignment.member_id, func.count(Assignment.id)).join(Household, Household.id == Assignment.household_id)
        .where(Assignment.member_id.in_(member_ids), Assignment.valid_to.is_(None), *_in_outreach())
        .group_by(Assignment.member_id)
    ).all()) if member_ids else {}
    return {m: counts.get(m, 0) for m in member_ids}


def _hand_over_remaining_follow_ups(session: Session, leaving: CommitteeMember, to: Optional[CommitteeMember],
                                   order: list[int], *, actor: Optional[User]) -> int:
    """Open follow-ups of ``leaving`` on households they did not hold: to the household's active holder, else to
    ``to`` (or the least-loaded receiver)."""
    rows = session.exec(select(FollowUp).where(FollowUp.member_id == leaving.id,
                                               FollowUp.status == FollowUpStatus.OPEN).order_by(FollowUp.id)).all()
    if not rows:
        return 0
    holders = {hid: row.member_id for hid, row in _open_assignments(session, [r.household_id for r in rows]).items()}
    loads = member_loads(session, order)
    fallback = to.id if to is not None else min(order, key=lambda m: (loads[m], order.index(m)))
    for row in rows:
        holder = holders.get(row.household_id)
        _set_follow_up_member(session, row, holder if holder in order else fallback, actor=actor)
    return len(rows)


# --- reviews -------------------------------------------------------------------------------------------------------


@dataclass
class MemberLoad:
    member: CommitteeMember
    held: int = 0  # households in outreach this member is responsible for
    visited: int = 0  # of those, visited in the last 30 days
    overdue: int = 0  # open follow-ups of this member due before today

    @property
    def not_visited(self) -> int:
        return self.held - self.visited


@dataclass
class DepartedHolding:
    member: CommitteeMember
    left_on: Optional[date]  # left_on, or the day their committee was dissolved
    held: int


@dataclass
class VillageReview:
    village: Village
    members: list[MemberLoad]
    households: int  # in outreach
    unassigned_count: int
    unassigned: list[Household]  # the first 50, by group and code
    not_visited: int  # households in outreach not visited in the last 30 days
    overdue: int  # open follow-ups due before today, on the village's households
    departed: list[DepartedHolding]

    @property
    def spread(self) -> int:
        loads = [m.held for m in self.members]
        return max(loads) - min(loads) if loads else 0


def _count(session: Session, key, *where, join=None) -> dict:
    query = select(key, func.count()).select_from(Household)
    if join is not None:
        query = query.join(*join)
    return dict(session.exec(query.where(*where).group_by(key)).all())


def village_review(session: Session, village: Village, today: date) -> VillageReview:
    """Each active member's load and what needs attention in the village, built completely before rendering."""
    members = active_members(session, village)
    ids = [m.id for m in members]
    held_here = (Assignment, Assignment.household_id == Household.id)
    mine = (Household.village_id == village.id, Assignment.valid_to.is_(None))
    held = _count(session, Assignment.member_id, *mine, *_in_outreach(), join=held_here)
    visited = _count(session, Assignment.member_id, *mine, *_in_outreach(),
                     Household.id.in_(_recently_visited(today)), join=held_here)
    overdue = dict(session.exec(
        select(FollowUp.member_id, func.count(FollowUp.id))
        .where(FollowUp.member_id.in_(ids), FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_on < today)
        .group_by(FollowUp.member_id)
    ).all()) if ids else {}
    unassigned = (Household.village_id == village.id, *_in_outreach(), _unassigned())
    summary = _village_counts(session, [village.id], today)
    return VillageReview(
        village=village,
        members=[MemberLoad(m, held.get(m.id, 0), visited.get(m.id, 0), overdue.get(m.id, 0)) for m in members],
        households=summary["households"].get(village.id, 0),
        unassigned_count=summary["unassigned"].get(village.id, 0),
        unassigned=list(session.exec(
            select(Household).where(*unassigned)
            .order_by(Household.hamlet_group.is_(None), Household.hamlet_group, Household.code)
            .limit(UNASSIGNED_SHOWN)
        ).all()),
        not_visited=summary["not_visited"].get(village.id, 0),
        overdue=summary["overdue"].get(village.id, 0),
        departed=_departed_holding(session, village, set(ids)),
    )


def _unassigned():
    """The household has no current assignment: a correlated NOT EXISTS, which looks each household up in the
    partial unique index, rather than NOT IN over every current assignment of the deployment."""
    return ~exists().where(Assignment.household_id == Household.id, Assignment.valid_to.is_(None))


def _village_counts(session: Session, village_ids: list[int], today: date) -> dict[str, dict[int, int]]:
    """Per village: households in outreach, unassigned, not visited in 30 days, overdue follow-ups, and households
    still held by members who are no longer active."""
    if not village_ids:
        return defaultdict(dict)
    here = Household.village_id.in_(village_ids)
    key = Household.village_id
    inactive = or_(CommitteeMember.left_on.is_not(None), Committee.dissolved_on.is_not(None))
    departed = dict(session.exec(
        select(key, func.count(Assignment.id)).join(Assignment, Assignment.household_id == Household.id)
        .join(CommitteeMember, CommitteeMember.id == Assignment.member_id)
        .join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(here, Household.archived_at.is_(None), Assignment.valid_to.is_(None), inactive).group_by(key)
    ).all())
    return {
        "households": _count(session, key, here, *_in_outreach()),
        "unassigned": _count(session, key, here, *_in_outreach(), _unassigned()),
        "not_visited": _count(session, key, here, *_in_outreach(), ~_visited_lately(today)),
        "overdue": _count(session, key, here, FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_on < today,
                          join=(FollowUp, FollowUp.household_id == Household.id)),
        "departed": departed,
    }


def _departed_holding(session: Session, village: Village, active_ids: set[int]) -> list[DepartedHolding]:
    rows = session.exec(
        select(CommitteeMember, Committee.dissolved_on, func.count(Assignment.id))
        .join(Assignment, Assignment.member_id == CommitteeMember.id)
        .join(Household, Household.id == Assignment.household_id)
        .join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(Household.village_id == village.id, Household.archived_at.is_(None), Assignment.valid_to.is_(None))
        .group_by(CommitteeMember.id, Committee.dissolved_on)
        .order_by(CommitteeMember.id)
    ).all()
    return [DepartedHolding(member, member.left_on or dissolved_on, n)
            for member, dissolved_on, n in rows if member.id not in active_ids]


@dataclass
class VillageSummary:
    village: Village
    households: int
    members: int
    unassigned: int
    not_visited: int
    overdue: int
    departed_holding: int  # households still held by members who left
    min_load: int = 0
    max_load: int = 0


def commune_review(session: Session, user: User, today: date) -> list[VillageSummary]:
    """One row per village in the user's scope, in a fixed number of queries."""
    villages = session.exec(select(Village).where(village_scope(user))
                            .order_by(Village.commune_id, Village.code)).all()
    ids = [v.id for v in villages]
    counts = _village_counts(session, ids, today)
    members: dict[int, list[int]] = defaultdict(list)
    for village_id, member_id in session.exec(
        select(Committee.village_id, CommitteeMember.id)
        .join(CommitteeMember, CommitteeMember.committee_id == Committee.id)
        .where(Committee.village_id.in_(ids), Committee.dissolved_on.is_(None), CommitteeMember.left_on.is_(None))
    ).all() if ids else []:
        members[village_id].append(member_id)
    loads = member_loads(session, [m for ms in members.values() for m in ms])
    rows = []
    for v in villages:
        held = [loads[m] for m in members[v.id]] or [0]
        rows.append(VillageSummary(
            village=v, households=counts["households"].get(v.id, 0), members=len(members[v.id]),
            unassigned=counts["unassigned"].get(v.id, 0), not_visited=counts["not_visited"].get(v.id, 0),
            overdue=counts["overdue"].get(v.id, 0), departed_holding=counts["departed"].get(v.id, 0),
            min_load=min(held), max_load=max(held)))
    return rows


# --- the village's household list ------------------------------------------------------------------------------------

UNASSIGNED = "chua"  # the "holder" filter value for households without a member


@dataclass
class HouseholdLine:
    household: Household
    member: Optional[CommitteeMember]
    since: Optional[date]


@dataclass
class HouseholdListing:
    lines: list[HouseholdLine]
    groups: list[str]
    group: Optional[str]
    holder: Optional[str]  # None (everyone), "chua" (unassigned) or a member id as text
    page: int
    pages: int
    total: int


def household_listing(session: Session, village: Village, *, group: Optional[str], holder: Optional[str],
                      page: int) -> HouseholdListing:
    """The village's current households, unassigned first, then by group and code; filtered by xóm and by member."""
    conditions = [Household.village_id == village.id, Household.archived_at.is_(None)]
    if group:
        conditions.append(Household.hamlet_group == group)
    if holder == UNASSIGNED:
        conditions.append(Assignment.id.is_(None))
    elif holder and holder.isdigit():
        conditions.append(Assignment.member_id == int(holder))
    else:
        holder = None
    base = select(Household, Assignment).outerjoin(
        Assignment, (Assignment.household_id == Household.id) & Assignment.valid_to.is_(None)).where(*conditions)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.exec(
        base.order_by(case((Assignment.id.is_(None), 0), else_=1), Household.hamlet_group.is_(None),
                      Household.hamlet_group, Household.code)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    member_ids = {a.member_id for _h, a in rows if a is not None}
    people = {m.id: m for m in session.exec(select(CommitteeMember).where(CommitteeMember.id.in_(member_ids)))
              } if member_ids else {}
    groups = list(session.exec(
        select(Household.hamlet_group).where(Household.village_id == village.id, Household.archived_at.is_(None),
                                             Household.hamlet_group.is_not(None))
        .distinct().order_by(Household.hamlet_group)
    ).all())
    return HouseholdListing(
        lines=[HouseholdLine(h, people.get(a.member_id) if a else None, a.valid_from if a else None) for h, a in rows],
        groups=groups, group=group, holder=holder, page=page, pages=pages, total=total)


@dataclass
class HistoryLine:
    assignment: Assignment
    member: CommitteeMember
    assigned_by: Optional[User]


def history(session: Session, household: Household) -> list[HistoryLine]:
    """Every member who has been responsible for the household, the current one first."""
    rows = session.exec(
        select(Assignment, CommitteeMember, User)
        .join(CommitteeMember, CommitteeMember.id == Assignment.member_id)
        .outerjoin(User, User.id == Assignment.assigned_by_id)
        .where(Assignment.household_id == household.id)
        .order_by(Assignment.valid_to.is_not(None), Assignment.valid_from.desc(), Assignment.id.desc())
    ).all()
    return [HistoryLine(a, m, u) for a, m, u in rows]
