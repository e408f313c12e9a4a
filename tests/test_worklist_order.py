"""The member's worklist: ordered by what to do first, each row saying why."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from fieldwork.models import (
    BhxhStatus, BhytStatus, FollowUp, FollowUpKind, Person, Relation, Role, Sex, Visit, VisitOutcome,
)
from fieldwork.worklist.services import (
    TIER_FOLLOW_UP, TIER_NEVER_VISITED, TIER_RENEWAL, TIER_REST, TIER_STALE, worklist,
)

TODAY = date(2026, 11, 23)


@pytest.fixture
def world(db, make_village, make_committee, make_user, make_household):
    village = make_village()
    _, members = make_committee(village)
    member = members[1]

    def household(name, *, visited_days_ago=None, people=()):
        h = make_household(village, assigned_to=member, head_name=name, people=0)
        for p in people or [dict(birth_year=1990, bhyt_status=BhytStatus.OTHER_GROUP, bhxh_status=BhxhStatus.COMPULSORY)]:
            db.add(Person(household_id=h.id, full_name=f"{name} con", sex=Sex.MALE, relation=Relation.HEAD, **p))
        if visited_days_ago is not None:
            db.add(Visit(uuid=str(uuid.uuid4()), household_id=h.id, member_id=member.id,
                         visited_at=datetime.combine(TODAY - timedelta(days=visited_days_ago), datetime.min.time(),
                                                     tzinfo=timezone.utc) + timedelta(hours=3),
                         outcome=VisitOutcome.CONSIDERING))
        db.commit()
        return h

    hh = {
        "overdue": household("Hộ Quá Hạn", visited_days_ago=10),
        "due_today": household("Hộ Hẹn Hôm Nay", visited_days_ago=7),
        "card_ends": household("Hộ Sắp Hết Thẻ", visited_days_ago=3, people=[dict(
            birth_year=1980, bhyt_status=BhytStatus.HOUSEHOLD, bhyt_card_expiry=TODAY + timedelta(days=12),
            bhxh_status=BhxhStatus.COMPULSORY)]),
        "bhxh_lapsed": household("Hộ Quá Hạn BHXH", visited_days_ago=2, people=[dict(
            birth_year=1975, bhyt_status=BhytStatus.OTHER_GROUP, bhxh_status=BhxhStatus.VOLUNTARY,
            bhxh_paid_until=TODAY - timedelta(days=5))]),
        "never": household("Hộ Chưa Đến", people=[dict(birth_year=1988, bhyt_status=BhytStatus.NONE,
                                                      bhxh_status=BhxhStatus.NONE)]),
        "stale": household("Hộ Lâu Chưa Đến", visited_days_ago=45),
        "planned": household("Hộ Đã Hẹn", visited_days_ago=1),
        "recent": household("Hộ Vừa Đến", visited_days_ago=2),
    }
    db.add(FollowUp(household_id=hh["overdue"].id, member_id=member.id, kind=FollowUpKind.REVISIT,
                    due_on=TODAY - timedelta(days=3)))
    db.add(FollowUp(household_id=hh["due_today"].id, member_id=member.id, kind=FollowUpKind.NEEDS_SPONSOR,
                    due_on=TODAY))
    db.add(FollowUp(household_id=hh["planned"].id, member_id=member.id, kind=FollowUpKind.REVISIT,
                    due_on=TODAY + timedelta(days=6)))
    db.commit()
    return {"member": member, "village": village, **hh}


def test_order_and_reasons(db, world):
    work = worklist(db, world["member"], TODAY)
    order = [i.household.head_name for i in work.items]
    assert order == ["Hộ Quá Hạn", "Hộ Hẹn Hôm Nay", "Hộ Quá Hạn BHXH", "Hộ Sắp Hết Thẻ", "Hộ Chưa Đến",
                     "Hộ Lâu Chưa Đến", "Hộ Đã Hẹn", "Hộ Vừa Đến"]
    tiers = [i.tier for i in work.items]
    assert tiers == [TIER_FOLLOW_UP, TIER_FOLLOW_UP, TIER_RENEWAL, TIER_RENEWAL, TIER_NEVER_VISITED, TIER_STALE,
                     TIER_REST, TIER_REST]
    reasons = {i.household.head_name: " | ".join(i.reasons) for i in work.items}
    assert "Thăm lại — quá hạn 3 ngày" in reasons["Hộ Quá Hạn"]
    assert "Cần nhà tài trợ — hôm nay" in reasons["Hộ Hẹn Hôm Nay"]
    assert "BHYT của Hộ Sắp Hết Thẻ con hết hạn 05/12/2026" in reasons["Hộ Sắp Hết Thẻ"]
    assert "BHXH của Hộ Quá Hạn BHXH con đã hết hạn 18/11/2026, chưa đóng tiếp" in reasons["Hộ Quá Hạn BHXH"]
    assert "1 người cần vận động, chưa đến lần nào" in reasons["Hộ Chưa Đến"]
    assert "Chưa đến 45 ngày" in reasons["Hộ Lâu Chưa Đến"]
    assert "Hẹn thăm lại 29/11/2026" in reasons["Hộ Đã Hẹn"]
    assert work.counts == {1: 2, 2: 2, 3: 1, 4: 1, 5: 2}


def test_filters(db, world):
    assert [i.household.head_name for i in worklist(db, world["member"], TODAY, tier=TIER_RENEWAL).items] == [
        "Hộ Quá Hạn BHXH", "Hộ Sắp Hết Thẻ"]
    assert [i.household.head_name for i in worklist(db, world["member"], TODAY, query="lau chua").items] == [
        "Hộ Lâu Chưa Đến"]


def test_rows_only_works_out_the_rows_shown_and_the_same_rows(db, world):
    """The rows htmx asks for as the member types are worked out for the matching households only: the same rows,
    reasons and order as the whole page's; the whole page's tier counts stay over every household held."""
    for filters in ({"query": "lau chua"}, {"query": "hộ"}, {"query": "con"}, {"tier": TIER_RENEWAL},
                    {"query": "hạn", "tier": TIER_FOLLOW_UP}, {"query": "zzz"}):
        whole = worklist(db, world["member"], TODAY, **filters)
        rows = worklist(db, world["member"], TODAY, rows_only=True, **filters)
        assert [(i.household.id, i.tier, i.reasons) for i in rows.items] == [
            (i.household.id, i.tier, i.reasons) for i in whole.items], filters
        assert sum(whole.counts.values()) == whole.total == 8
    assert sum(worklist(db, world["member"], TODAY, query="lau chua", rows_only=True).counts.values()) == 1


def test_archived_and_stopped_households_leave_the_list(db, world):
    world["stale"].outreach_stopped = "do_not_contact"
    world["recent"].archived_at = datetime.now(timezone.utc)
    db.add_all([world["stale"], world["recent"]])
    db.commit()
    names = [i.household.head_name for i in worklist(db, world["member"], TODAY).items]
    assert "Hộ Lâu Chưa Đến" not in names and "Hộ Vừa Đến" not in names and len(names) == 6


def test_worklist_page_shows_reasons_and_filters_with_htmx(client, login, db, world, make_user):
    user = make_user(Role.MEMBER, village=world["village"], member=world["member"])
    login(user)
    page = client.get("/").get_data(as_text=True)
    assert "Hộ Quá Hạn" in page and "quá hạn" in page
    partial = client.get("/?viec=3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "Hộ Chưa Đến" in partial and "Hộ Quá Hạn" not in partial


def test_reasons_labels_and_the_offline_form_follow_each_readers_language(client, login, db, world, make_user):
    """Labels, the worklist's reasons, the phone's messages and the offline visit form are translated once per
    language and process: switching language back and forth must give each page wholly in its reader's language."""
    user = make_user(Role.MEMBER, village=world["village"], member=world["member"])
    login(user)

    def pages():
        return (client.get("/").get_data(as_text=True),
                client.get(f"/ho/{world['overdue'].id}").get_data(as_text=True))

    def set_locale(locale):
        user.locale = locale
        db.add(user)
        db.commit()

    for locale in ("vi", "en", "vi"):
        set_locale(locale)
        worklist_page, household_page = pages()
        if locale == "vi":
            assert "quá hạn" in worklist_page and "days overdue" not in worklist_page
            for text in ("Chủ hộ", "Hẹn thăm lại ngày", "Lý do từ chối", "Lần vận động lưu trên máy"):
                assert text in household_page, text
            assert "Head of household" not in household_page and "Revisit on" not in household_page
        else:
            assert "days overdue" in worklist_page and "quá hạn" not in worklist_page
            for text in ("Head of household", "Revisit on", "Reason for refusing", "Visits saved on this phone"):
                assert text in household_page, text
            for text in ("Chủ hộ", "Hẹn thăm lại ngày", "Lý do từ chối", "Lần vận động lưu trên máy"):
                assert text not in household_page, text


def test_prospect_shortcut_answers_as_the_full_coverage():
    """The worklist counts prospects with ``is_prospect``; it must say what ``coverage(...).is_prospect`` says for
    every kind of record: card statuses and dates, social-insurance statuses, children, working age, retirement."""
    import itertools
    from types import SimpleNamespace

    from fieldwork.households.services import coverage, is_prospect
    from fieldwork.models import BhxhStatus, BhytStatus, Sex

    today = date(2026, 11, 24)
    days = (None, today - timedelta(days=1), today, today + timedelta(days=40))
    births = (date(2022, 3, 1), date(2020, 11, 25), date(2011, 11, 24), date(1990, 6, 1), date(1966, 1, 1),
              date(1971, 2, 1), date(1940, 1, 1))
    prospects = 0
    cases = itertools.product(BhytStatus, days, BhxhStatus, days, Sex, births)
    for bhyt, card, bhxh, paid, sex, born in cases:
        person = SimpleNamespace(bhyt_status=bhyt, bhyt_card_expiry=card, bhxh_status=bhxh, bhxh_paid_until=paid,
                                 sex=sex, birth_date=born, birth_year=born.year)
        expected = coverage(person, today).is_prospect
        assert is_prospect(person, today) == expected, person
        prospects += expected
    assert 0 < prospects < len(BhytStatus) * len(BhxhStatus) * len(Sex) * len(days) ** 2 * len(births)
