"""Assignment rules: one responsible member at a time, history kept, bulk all-or-nothing, auto-balance, handover."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from fieldwork.assignments import services
from fieldwork.assignments.services import RegistryError
from fieldwork.models import (
    Assignment, AuditEvent, CommitteeMember, FollowUp, FollowUpKind, FollowUpStatus, Household, Role, utcnow,
)

TODAY = date(2026, 11, 23)
EARLIER = date(2026, 9, 1)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def setup(ctx, db, make_village, make_committee, make_user):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village, members=4)
    other = make_village(name="Thôn Tân Sơn")
    _, other_members = make_committee(other, members=5)
    return {"village": village, "members": members, "other": other, "other_members": other_members,
            "official": make_user(Role.OFFICIAL)}


@pytest.fixture
def houses(db, setup):
    """``houses({"Xóm Trên": 10, None: 2})`` → households of the village, codes in natural order within each xóm."""
    def make(groups: dict, village=None) -> list[Household]:
        village = village or setup["village"]
        made = []
        for g, n in groups.items():
            prefix = (g or "khac").split()[-1][:4].upper()
            for i in range(n):
                h = Household(village_id=village.id, code=f"{prefix}-{i + 1}", head_name=f"Chủ Hộ {prefix} {i + 1}",
                              hamlet_group=g)
                db.add(h)
                made.append(h)
        db.commit()
        return made

    return make


def _holder(db, household) -> int | None:
    return db.exec(select(Assignment.member_id).where(Assignment.household_id == household.id,
                                                      Assignment.valid_to.is_(None))).first()


def _loads(db, members) -> list[int]:
    return [db.exec(select(func.count(Assignment.id)).where(Assignment.member_id == m.id,
                                                            Assignment.valid_to.is_(None))).one() for m in members]


def _count(db, model, *where) -> int:
    return db.exec(select(func.count(model.id)).where(*where)).one()


def _give(db, households, member, when=EARLIER):
    for h in households:
        db.add(Assignment(household_id=h.id, member_id=member.id, valid_from=when))
    db.commit()


# --- one responsible member at a time --------------------------------------------------------------------------------


def test_a_second_open_assignment_is_impossible(db, setup, houses):
    (household,) = houses({"Xóm Trên": 1})
    a, b = setup["members"][:2]
    db.add(Assignment(household_id=household.id, member_id=a.id, valid_from=EARLIER))
    db.commit()
    db.add(Assignment(household_id=household.id, member_id=b.id, valid_from=TODAY))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    # Closed rows are history: any number of them may sit beside the open one.
    db.add(Assignment(household_id=household.id, member_id=b.id, valid_from=date(2026, 1, 1),
                      valid_to=date(2026, 3, 1)))
    db.commit()
    assert _count(db, Assignment, Assignment.household_id == household.id) == 2


def test_reassigning_closes_the_old_row_and_keeps_history(db, setup, houses):
    (household,) = houses({"Xóm Trên": 1})
    a, b = setup["members"][:2]
    official = setup["official"]
    assert services.assign(db, household, a, actor=official, today=EARLIER) is True
    db.commit()
    assert services.assign(db, household, b, actor=official, today=TODAY) is True
    db.commit()
    rows = db.exec(select(Assignment).where(Assignment.household_id == household.id).order_by(Assignment.id)).all()
    assert [(r.member_id, r.valid_from, r.valid_to, r.assigned_by_id) for r in rows] == [
        (a.id, EARLIER, TODAY, official.id), (b.id, TODAY, None, official.id)]
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity == "assignment").order_by(AuditEvent.id)).all()
    assert actions == ["assign", "end", "assign"]


def test_assigning_the_same_member_again_changes_nothing(db, setup, houses):
    (household,) = houses({"Xóm Trên": 1})
    a = setup["members"][0]
    services.assign(db, household, a, actor=setup["official"], today=EARLIER)
    db.commit()
    assert services.assign(db, household, a, actor=setup["official"], today=TODAY) is False
    db.commit()
    assert _count(db, Assignment) == 1 and _count(db, AuditEvent, AuditEvent.entity == "assignment") == 1


@pytest.mark.parametrize("who", ["other_village", "departed", "dissolved"])
def test_only_active_members_of_the_households_village_can_take_it(db, setup, houses, who):
    (household,) = houses({"Xóm Trên": 1})
    member = setup["other_members"][1] if who == "other_village" else setup["members"][3]
    if who == "departed":
        member.left_on = date(2026, 10, 1)
        db.add(member)
    elif who == "dissolved":
        from fieldwork.models import Committee
        committee = db.get(Committee, member.committee_id)
        committee.dissolved_on = date(2026, 10, 1)
        db.add(committee)
    db.commit()
    with pytest.raises(RegistryError, match="không phải thành viên đang hoạt động"):
        services.assign(db, household, member, actor=setup["official"], today=TODAY)
    assert _count(db, Assignment) == 0


def test_archived_household_cannot_be_assigned_but_a_stopped_one_can(db, setup, houses):
    archived, stopped = houses({"Xóm Trên": 2})
    archived.archived_at = utcnow()
    stopped.outreach_stopped = "moved_away"
    db.add_all([archived, stopped])
    db.commit()
    with pytest.raises(RegistryError, match="đã lưu trữ"):
        services.assign(db, archived, setup["members"][0], actor=None, today=TODAY)
    assert services.assign(db, stopped, setup["members"][0], actor=None, today=TODAY) is True


# --- bulk --------------------------------------------------------------------------------------------------------


def test_bulk_assigns_all_and_counts_only_changes(db, setup, houses):
    households = houses({"Xóm Trên": 4})
    a, b = setup["members"][:2]
    _give(db, households[:1], b)
    _give(db, households[1:2], a)
    assert services.assign_many(db, households, b, actor=setup["official"], today=TODAY) == 3
    db.commit()
    assert all(_holder(db, h) == b.id for h in households)
    assert _count(db, Assignment, Assignment.valid_to == TODAY) == 1  # only a's household changed hands


def test_bulk_with_one_foreign_household_writes_nothing(db, setup, houses):
    ours = houses({"Xóm Trên": 3})
    (foreign,) = houses({"Xóm Dưới": 1}, village=setup["other"])
    ids = [h.id for h in ours] + [foreign.id]
    with pytest.raises(RegistryError, match="không thuộc thôn này"):
        services.households_for_ids(db, setup["village"], ids)
    # The service refuses a mixed list on its own too: all or nothing.
    with pytest.raises(RegistryError):
        services.assign_many(db, ours + [foreign], setup["members"][0], actor=None, today=TODAY)
    db.rollback()
    assert _count(db, Assignment) == 0
    with pytest.raises(RegistryError, match="Chưa chọn hộ nào"):
        services.households_for_ids(db, setup["village"], [])


# --- auto-balance ------------------------------------------------------------------------------------------------


def _pieces(db, households) -> dict:
    """xóm → the members holding its households, as runs in code order."""
    runs = defaultdict(list)
    for h in sorted(households, key=services._code_key):
        holder = _holder(db, h)
        if not runs[h.hamlet_group] or runs[h.hamlet_group][-1] != holder:
            runs[h.hamlet_group].append(holder)
    return runs


def test_auto_balance_23_households_in_3_xom_over_4_members(db, setup, houses):
    households = houses({"Xóm Trên": 10, "Xóm Giữa": 8, "Xóm Dưới": 5})
    members = setup["members"]
    result = services.auto_balance(db, setup["village"], only_unassigned=True, actor=setup["official"], today=TODAY)
    db.commit()
    assert result.changed == 23 and result.considered == 23
    loads = _loads(db, members)
    assert sorted(loads) == [5, 6, 6, 6] and result.spread_after == 1
    assert [c.after for c in result.loads] == loads and [c.before for c in result.loads] == [0, 0, 0, 0]
    runs = _pieces(db, households)
    # 10 and 8 exceed a share of 6, so each is cut once; 5 fits one member whole.
    assert len(runs["Xóm Trên"]) == 2 and len(runs["Xóm Giữa"]) == 2 and len(runs["Xóm Dưới"]) == 1
    # Pieces are contiguous: no member appears twice in the runs of one xóm.
    assert all(len(r) == len(set(r)) for r in runs.values())


@pytest.mark.parametrize("groups, members", [
    ({"Xóm A": 7, "Xóm B": 7, "Xóm C": 7}, 4),
    ({"Xóm A": 30, None: 4}, 3),
    ({"Xóm A": 1, "Xóm B": 2, "Xóm C": 3, "Xóm D": 4, "Xóm E": 5}, 4),
    ({None: 9}, 4),
    ({"Xóm A": 3, "Xóm B": 3, "Xóm C": 3, "Xóm D": 3}, 4),
])
def test_auto_balance_is_even_and_splits_a_xom_only_when_needed(db, setup, houses, groups, members):
    for extra in setup["members"][members:]:
        extra.left_on = date(2026, 1, 1)
        db.add(extra)
    db.commit()
    households = houses(groups)
    services.auto_balance(db, setup["village"], only_unassigned=False, actor=None, today=TODAY)
    db.commit()
    loads = _loads(db, setup["members"][:members])
    assert max(loads) - min(loads) <= 1 and sum(loads) == len(households)
    runs = _pieces(db, households)
    # Every cut fills a member up, so there are at most members − 1 cuts, and each piece is one run of codes.
    assert sum(len(r) for r in runs.values()) <= len(groups) + members - 1
    assert all(len(r) == len(set(r)) for r in runs.values())
    if groups == {"Xóm A": 3, "Xóm B": 3, "Xóm C": 3, "Xóm D": 3}:
        assert all(len(r) == 1 for r in runs.values())  # one xóm each, none cut


def test_auto_balance_only_unassigned_fills_the_lightest_and_leaves_the_rest(db, setup, houses):
    for extra in setup["members"][3:]:
        extra.left_on = date(2026, 1, 1)
        db.add(extra)
    db.commit()
    a, b, c = setup["members"][:3]
    held_a = houses({"Xóm Trên": 3})
    held_b = houses({"Xóm Giữa": 1})
    _give(db, held_a, a)
    _give(db, held_b, b)
    unassigned = houses({"Xóm Dưới": 3, "Xóm Ngoài": 2})
    before = {r.id for r in db.exec(select(Assignment)).all()}
    result = services.auto_balance(db, setup["village"], only_unassigned=True, actor=None, today=TODAY)
    db.commit()
    assert result.changed == 5 and [(x.before, x.after) for x in result.loads] == [(3, 3), (1, 3), (0, 3)]
    assert _loads(db, [a, b, c]) == [3, 3, 3]
    # Nothing already assigned was touched.
    assert {r.id for r in db.exec(select(Assignment).where(Assignment.valid_to.is_(None))).all()} >= before
    assert _count(db, Assignment, Assignment.valid_to.is_not(None)) == 0
    # The three of Xóm Dưới stay together with the member who had room for all three.
    assert {_holder(db, h) for h in unassigned if h.hamlet_group == "Xóm Dưới"} == {c.id}


def test_auto_balance_counts_existing_loads_even_when_evenness_is_impossible(db, setup, houses):
    a, b, c, d = setup["members"]
    _give(db, houses({"Xóm Trên": 5}), a)
    _give(db, houses({"Xóm Giữa": 2}), b)
    houses({"Xóm Dưới": 9})
    services.auto_balance(db, setup["village"], only_unassigned=True, actor=None, today=TODAY)
    db.commit()
    # 16 households, but a already holds 5 and keeps them: the others share 11 as 4/4/3.
    assert _loads(db, [a, b, c, d]) == [5, 4, 4, 3]


def test_redistributing_all_keeps_households_with_their_member_when_possible(db, setup, houses):
    for extra in setup["members"][3:]:
        extra.left_on = date(2026, 1, 1)
        db.add(extra)
    db.commit()
    a, b, c = setup["members"][:3]
    mine = houses({"Xóm Trên": 6})
    _give(db, mine, a)
    houses({"Xóm Dưới": 3})
    kept_rows = {r.household_id: r.id for r in db.exec(select(Assignment)).all()}
    result = services.auto_balance(db, setup["village"], only_unassigned=False, actor=None, today=TODAY)
    db.commit()
    assert _loads(db, [a, b, c]) == [3, 3, 3]
    assert result.changed == 6  # 3 of a's + the 3 unassigned; a keeps the other 3 untouched
    still = db.exec(select(Assignment).where(Assignment.member_id == a.id, Assignment.valid_to.is_(None))).all()
    assert all(kept_rows.get(r.household_id) == r.id for r in still)
    again = services.auto_balance(db, setup["village"], only_unassigned=False, actor=None, today=TODAY)
    assert again.changed == 0  # balanced stays balanced


def test_auto_balance_skips_archived_and_stopped_households_and_moves_a_departed_members_only_when_all(
        db, setup, houses):
    a, b, c, d = setup["members"]
    archived, stopped, *rest = houses({"Xóm Trên": 6})
    archived.archived_at = utcnow()
    stopped.outreach_stopped = "do_not_contact"
    db.add_all([archived, stopped])
    d.left_on = date(2026, 10, 1)
    db.add(d)
    db.commit()
    _give(db, rest[:2], d)
    services.auto_balance(db, setup["village"], only_unassigned=True, actor=None, today=TODAY)
    db.commit()
    assert _holder(db, archived) is None and _holder(db, stopped) is None
    assert [_holder(db, h) for h in rest[:2]] == [d.id, d.id]  # a handover's job, not "unassigned"
    services.auto_balance(db, setup["village"], only_unassigned=False, actor=None, today=TODAY)
    db.commit()
    assert _loads(db, [a, b, c, d]) == [2, 1, 1, 0]
    assert _holder(db, archived) is None and _holder(db, stopped) is None


def test_auto_balance_without_active_members_is_refused(db, setup, houses):
    houses({"Xóm Trên": 2})
    for m in setup["members"]:
        m.left_on = date(2026, 1, 1)
        db.add(m)
    db.commit()
    with pytest.raises(RegistryError, match="chưa có thành viên ban vận động đang hoạt động"):
        services.auto_balance(db, setup["village"], only_unassigned=True, actor=None, today=TODAY)


def test_follow_ups_go_with_their_household_when_it_changes_hands(db, setup, houses):
    a, b = setup["members"][:2]
    (household,) = houses({"Xóm Trên": 1})
    _give(db, [household], a)
    open_one = FollowUp(household_id=household.id, member_id=a.id, kind=FollowUpKind.REVISIT, due_on=TODAY)
    done_one = FollowUp(household_id=household.id, member_id=a.id, kind=FollowUpKind.REVISIT, due_on=EARLIER,
                        status=FollowUpStatus.DONE)
    db.add_all([open_one, done_one])
    db.commit()
    services.assign(db, household, b, actor=None, today=TODAY)
    db.commit()
    db.refresh(open_one)
    db.refresh(done_one)
    assert open_one.member_id == b.id and done_one.member_id == a.id


# --- handover ----------------------------------------------------------------------------------------------------


def _follow_up(db, household, member, status=FollowUpStatus.OPEN, due=TODAY) -> FollowUp:
    row = FollowUp(household_id=household.id, member_id=member.id, kind=FollowUpKind.REVISIT, due_on=due,
                   status=status)
    db.add(row)
    db.commit()
    return row


def test_handover_to_one_member_moves_households_and_open_follow_ups(db, setup, houses):
    a, b, c, leaving = setup["members"]
    held = houses({"Xóm Trên": 4})
    _give(db, held, leaving)
    open_late = _follow_up(db, held[0], leaving, due=EARLIER)
    open_soon = _follow_up(db, held[1], leaving)
    done = _follow_up(db, held[2], leaving, status=FollowUpStatus.DONE)
    cancelled = _follow_up(db, held[3], leaving, status=FollowUpStatus.CANCELLED)
    leaving.left_on = date(2026, 11, 20)
    db.add(leaving)
    db.commit()
    result = services.handover(db, leaving, to=b, actor=setup["official"], today=TODAY)
    db.commit()
    assert (result.households, result.follow_ups) == (4, 2)
    assert [(m.id, n) for m, n in result.receivers] == [(b.id, 4)]
    assert all(_holder(db, h) == b.id for h in held)
    closed = db.exec(select(Assignment).where(Assignment.member_id == leaving.id)).all()
    assert len(closed) == 4 and all(r.valid_to == TODAY for r in closed)
    for row in (open_late, open_soon, done, cancelled):
        db.refresh(row)
    assert open_late.member_id == b.id and open_soon.member_id == b.id
    assert done.member_id == leaving.id and cancelled.member_id == leaving.id


def test_handover_shared_among_the_others_evens_loads_and_follow_ups_follow(db, setup, houses):
    a, b, c, leaving = setup["members"]
    _give(db, houses({"Xóm Trên": 4}), a)
    _give(db, houses({"Xóm Giữa": 1}), b)
    held = houses({"Xóm Dưới": 4, "Xóm Ngoài": 2})
    _give(db, held, leaving)
    follow_ups = [_follow_up(db, h, leaving) for h in held]
    # A follow-up of the leaving member on a household someone else holds goes to that holder.
    other = db.exec(select(Assignment).where(Assignment.member_id == a.id)).first()
    stray = _follow_up(db, db.get(Household, other.household_id), leaving)
    result = services.handover(db, leaving, to=None, actor=None, today=TODAY)  # an active member can hand over
    db.commit()
    assert result.households == 6 and result.follow_ups == 7
    assert _loads(db, [a, b, c, leaving]) == [4, 4, 3, 0]
    # The lightest fill first; Xóm Dưới (4) is bigger than anyone's room (3), so it is cut once.
    assert {_holder(db, h) for h in held if h.hamlet_group == "Xóm Dưới"} == {b.id, c.id}
    assert {_holder(db, h) for h in held if h.hamlet_group == "Xóm Ngoài"} == {c.id}
    for row, h in zip(follow_ups, held):
        db.refresh(row)
        assert row.member_id == _holder(db, h)
    db.refresh(stray)
    assert stray.member_id == a.id
    assert db.get(CommitteeMember, leaving.id).left_on is None


def test_handover_refuses_bad_receivers_and_empty_hands(db, setup, houses):
    a, b, c, leaving = setup["members"]
    with pytest.raises(RegistryError, match="không có gì để bàn giao"):
        services.handover(db, leaving, to=a, actor=None, today=TODAY)
    _give(db, houses({"Xóm Trên": 2}), leaving)
    with pytest.raises(RegistryError, match="chính người đang bàn giao"):
        services.handover(db, leaving, to=leaving, actor=None, today=TODAY)
    with pytest.raises(RegistryError, match="không phải thành viên đang hoạt động"):
        services.handover(db, leaving, to=setup["other_members"][0], actor=None, today=TODAY)
    for m in (a, b, c):
        m.left_on = date(2026, 11, 1)
        db.add(m)
    db.commit()
    with pytest.raises(RegistryError, match="không còn thành viên nào khác"):
        services.handover(db, leaving, to=None, actor=None, today=TODAY)
    db.rollback()
    assert _count(db, Assignment, Assignment.valid_to.is_not(None)) == 0


def test_pack_is_deterministic_and_exact():
    class H:
        def __init__(self, i, g):
            self.id, self.code, self.hamlet_group = i, f"H-{i}", g

    households = [H(i, "A" if i <= 10 else "B" if i <= 18 else "C") for i in range(1, 24)]
    pieces = services._groups(households)
    caps = {1: 6, 2: 6, 3: 6, 4: 5}
    plan = services.pack(pieces, caps, [1, 2, 3, 4])
    assert Counter(plan.values()) == Counter(caps)
    assert plan == services.pack(services._groups(list(reversed(households))), caps, [1, 2, 3, 4])
    assert [plan[i] for i in range(1, 11)] == [1] * 6 + [3] * 4  # Xóm A: first six to member 1, the rest together
