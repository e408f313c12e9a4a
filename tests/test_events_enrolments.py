"""Enrolments that came from an outreach event: chosen on the enrolment forms, shown on the event, counted for reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from fieldwork.events.services import events_in_period
from fieldwork.models import Enrolment, Person
from fieldwork.text import local_today

from .events_world import PAID_ON, add_event, count_enrolments, world  # noqa: F401


@pytest.fixture
def homes(db, world, make_household):
    """A household in Thôn Đông assigned to the member, one in Thôn Tây assigned to that village's member."""
    east = make_household(world.village, assigned_to=world.members[1], people=3, head_name="Hoàng Văn Nam")
    west = make_household(world.other_village, assigned_to=world.other_members[1], people=2, head_name="Lê Thị Hoa")
    return {"east": east, "west": west, "east_people": _people(db, east), "west_people": _people(db, west)}


def _people(db, household):
    return db.exec(select(Person).where(Person.household_id == household.id).order_by(Person.id)).all()


def _bhxh(client, person, event_id="", **over):
    data = {"income": "1500000", "mode": "12", "years": "1", "missing_months": "0", "from_month": "2026-12",
            "other_support": "0", "receipt_no": "BL-0001", "receipt_date": PAID_ON, "collector_code": "NV01",
            "event_id": str(event_id), **over}
    return client.post_form(f"/nguoi/{person.id}/bhxh/moi", data)


def _bhyt(client, household, people, event_id=""):
    return client.post_form(f"/ho/{household.id}/bhyt/moi", {
        "person_ids": [str(p.id) for p in people], "months": "12", "from_month": "2026-12", "receipt_date": PAID_ON,
        "event_id": str(event_id)})


def test_enrolment_from_a_village_meeting_shows_on_the_event(client, login, db, world, homes):
    event = add_event(db, world, world.village, title="Hội nghị khách hàng thôn Đông")
    login(world.member)
    form = client.get(f"/nguoi/{homes['east_people'][0].id}/bhxh/moi").get_data(as_text=True)
    assert "Từ hoạt động" in form and "— Không —" in form and "Hội nghị khách hàng thôn Đông" in form
    assert _bhxh(client, homes["east_people"][0], event.id).status_code == 302
    enrolment = db.exec(select(Enrolment)).one()
    assert enrolment.event_id == event.id and enrolment.amount_total == 3_960_000
    page = client.get(f"/hoat-dong/{event.id}").get_data(as_text=True)
    assert "Hoàng Văn Nam" in page and "3.960.000 đ" in page and "BHXH tự nguyện" in page
    assert "Thành Viên Đông" in page  # who recorded it
    listing = client.get("/hoat-dong").get_data(as_text=True)
    assert "1 lượt tham gia" in listing and "3.960.000 đ" in listing


def test_household_cards_from_a_commune_wide_event(client, login, db, world, homes):
    event = add_event(db, world, None, title="Hội nghị toàn xã")
    login(world.member)
    assert _bhyt(client, homes["east"], homes["east_people"], event.id).status_code == 302
    assert [e.event_id for e in db.exec(select(Enrolment)).all()] == [event.id] * 3
    page = client.get(f"/hoat-dong/{event.id}").get_data(as_text=True)
    # 12 months at 2,530,000: first 1,366,200, second 956,340, third 819,720
    assert "3.142.260 đ" in page and "1.366.200 đ" in page and "BHYT hộ gia đình" in page


def test_no_event_is_the_default(client, login, db, world, homes):
    login(world.member)
    assert _bhxh(client, homes["east_people"][0]).status_code == 302
    assert db.exec(select(Enrolment)).one().event_id is None


@pytest.mark.parametrize("whose", ["other_village", "far_village"])
def test_event_of_another_village_is_refused_on_an_enrolment(client, login, db, world, homes, whose):
    village = getattr(world, whose)
    event = add_event(db, world, village, commune_id=village.commune_id, title="Họp thôn khác")
    login(world.member)
    response = _bhxh(client, homes["east_people"][0], event.id, receipt_no="BL-GIU")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Hoạt động đã chọn không phải của thôn này hay của cả xã" in body
    assert 'value="BL-GIU"' in body and count_enrolments(db) == 0
    bhyt = _bhyt(client, homes["east"], homes["east_people"][:1], event.id)
    assert bhyt.status_code == 422 and "Hoạt động đã chọn không phải của thôn này" in bhyt.get_data(as_text=True)
    assert count_enrolments(db) == 0


def test_commune_wide_event_of_another_commune_is_refused(client, login, db, world, homes):
    event = add_event(db, world, None, commune_id=world.far_village.commune_id, title="Hội nghị xã khác")
    login(world.official)
    assert _bhxh(client, homes["east_people"][0], event.id).status_code == 422
    assert _bhxh(client, homes["east_people"][0], "abc").status_code == 422
    assert count_enrolments(db) == 0


def test_form_offers_recent_events_of_the_village_and_the_commune_newest_first(client, login, db, world, homes):
    today = local_today()
    add_event(db, world, world.village, held_on=today - timedelta(days=30), title="Họp thôn tháng trước")
    add_event(db, world, None, held_on=today - timedelta(days=2), title="Phát loa toàn xã")
    add_event(db, world, world.village, held_on=today - timedelta(days=61), title="Họp thôn quá cũ")
    add_event(db, world, world.village, held_on=today + timedelta(days=3), title="Họp thôn sắp tới")
    add_event(db, world, world.other_village, title="Họp thôn Tây")
    login(world.member)
    form = client.get(f"/ho/{homes['east'].id}/bhyt/moi").get_data(as_text=True)
    assert form.index("— Không —") < form.index("Phát loa toàn xã") < form.index("Họp thôn tháng trước")
    assert "(toàn xã)" in form
    assert "Họp thôn quá cũ" not in form and "Họp thôn sắp tới" not in form and "Họp thôn Tây" not in form


def test_names_outside_the_viewers_scope_are_not_shown(client, login, db, world, homes):
    event = add_event(db, world, None, title="Hội nghị toàn xã")
    login(world.official)
    assert _bhxh(client, homes["west_people"][0], event.id).status_code == 302
    assert _bhxh(client, homes["east_people"][0], event.id).status_code == 302
    assert "Lê Thị Hoa" in client.get(f"/hoat-dong/{event.id}").get_data(as_text=True)
    login(world.member)
    page = client.get(f"/hoat-dong/{event.id}").get_data(as_text=True)
    assert "Hoàng Văn Nam" in page and "Lê Thị Hoa" not in page and "Người dân thôn khác" in page
    assert "7.920.000 đ" in page  # the event's whole result still counts both


def test_events_in_period_for_the_commune_and_for_a_village(client, login, db, world, homes):
    today = local_today()
    east = add_event(db, world, world.village, held_on=today - timedelta(days=3), title="Họp thôn Đông")
    wide = add_event(db, world, None, held_on=today - timedelta(days=1), title="Hội nghị toàn xã")
    add_event(db, world, world.other_village, held_on=today - timedelta(days=2), title="Họp thôn Tây")
    add_event(db, world, world.village, held_on=today - timedelta(days=20), title="Họp thôn Đông cũ")
    login(world.official)
    _bhxh(client, homes["east_people"][0], east.id)
    _bhxh(client, homes["east_people"][1], wide.id)
    _bhxh(client, homes["west_people"][0], wide.id)
    start, end = today - timedelta(days=6), today
    commune = events_in_period(db, world.village.commune_id, None, start, end)
    assert [s.event.title for s in commune] == ["Họp thôn Đông", "Họp thôn Tây", "Hội nghị toàn xã"]
    assert [(s.enrolments, s.amount, s.bhxh, s.bhyt) for s in commune] == [
        (1, 3_960_000, 1, 0), (0, 0, 0, 0), (2, 7_920_000, 2, 0)]
    assert commune[0].village.name == "Thôn Đông" and commune[2].village is None
    village = events_in_period(db, world.village.commune_id, world.village.id, start, end)
    assert [(s.event.title, s.enrolments, s.amount) for s in village] == [
        ("Họp thôn Đông", 1, 3_960_000), ("Hội nghị toàn xã", 1, 3_960_000)]
    assert events_in_period(db, world.far_village.commune_id, None, start, end) == []


def test_an_event_with_enrolments_cannot_move_to_another_village(client, login, db, world, homes):
    event = add_event(db, world, world.village, title="Họp thôn Đông")
    login(world.member)
    _bhxh(client, homes["east_people"][0], event.id)
    login(world.official)
    response = client.post_form(f"/hoat-dong/{event.id}/sua", {
        "kind": "meeting", "held_on": event.held_on.isoformat(), "village": str(world.other_village.id),
        "title": event.title, "attendance": "", "speakers": "", "notes": ""})
    assert response.status_code == 422 and "Đã có 1 lượt tham gia của thôn khác" in response.get_data(as_text=True)
    to_commune = client.post_form(f"/hoat-dong/{event.id}/sua", {
        "kind": "meeting", "held_on": event.held_on.isoformat(), "village": "xa",
        "title": event.title, "attendance": "", "speakers": "", "notes": ""})
    assert to_commune.status_code == 302
