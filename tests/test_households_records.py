"""Households and people: create, correct, archive, move, consent, duplicates and merges, through the pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from sqlmodel import func, select

from fieldwork.models import (
    AuditEvent, BhxhStatus, BhytStatus, DuplicateDismissal, Enrolment, Household, Person, Role, Scheme, Sex, Visit,
    VisitOutcome,
)

TODAY = date(2026, 11, 23)


@pytest.fixture
def setup(make_village, make_committee, make_user, make_household):
    village = make_village(name="Thôn Đồng Bông")
    other_village = make_village(name="Thôn Tân Sơn")
    _, members = make_committee(village)
    official = make_user(Role.OFFICIAL)
    member = make_user(Role.MEMBER, village=village, member=members[1])
    household = make_household(village, assigned_to=members[1], head_name="Nguyễn Văn Đức", people=2)
    return {"village": village, "other_village": other_village, "official": official, "member": member,
            "members": members, "household": household}


def _count(db, model, *where):
    return db.exec(select(func.count(model.id)).where(*where)).one()


PERSON = {"full_name": "Trần Thị Hương", "relation": "spouse", "sex": "female", "birth_date": "1985-03-04",
          "birth_year": "", "cccd": "", "bhxh_code": "", "ethnicity": "Kinh", "occupation": "Làm ruộng",
          "bhyt_status": "none", "bhyt_card_expiry": "", "bhxh_status": "none", "bhxh_paid_until": ""}


def test_official_creates_a_household(client, login, db, setup):
    login(setup["official"])
    response = client.post_form(f"/thon/{setup['village'].id}/ho/moi", {
        "code": "T01-0099", "head_name": "  Phạm   Văn Hùng ", "phone": "0912 345 678", "poverty": "near_poor",
        "address": "Xóm Trên", "hamlet_group": "Xóm Trên", "notes": ""})
    assert response.status_code == 302
    household = db.exec(select(Household).where(Household.code == "T01-0099")).one()
    assert household.head_name == "Phạm Văn Hùng" and household.phone == "0912345678"
    assert household.poverty.value == "near_poor"
    assert _count(db, AuditEvent, AuditEvent.entity == "household", AuditEvent.entity_id == household.id) == 1


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", "Số điện thoại phải có 10 chữ số"),
    ("head_name", "", "Hãy nhập họ và tên đầy đủ"),
    ("code", "", "Hãy nhập mã hộ"),
])
def test_bad_household_input_is_refused_and_kept(client, login, db, setup, field, value, message):
    login(setup["official"])
    data = {"code": "T01-0100", "head_name": "Phạm Văn Hùng", "phone": "0912345678", "poverty": "none",
            "address": "Số 5 đường làng", "hamlet_group": "", "notes": ""}
    data[field] = value
    before = _count(db, Household)
    response = client.post_form(f"/thon/{setup['village'].id}/ho/moi", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert "Số 5 đường làng" in body  # what was typed is still there
    assert _count(db, Household) == before


def test_household_code_must_be_unique_in_the_village(client, login, db, setup):
    login(setup["official"])
    response = client.post_form(f"/thon/{setup['village'].id}/ho/moi", {
        "code": setup["household"].code, "head_name": "Phạm Văn Hùng", "poverty": "none"})
    assert response.status_code == 422
    assert f"Mã hộ {setup['household'].code} đã có trong thôn này" in response.get_data(as_text=True)


def test_add_person_with_bad_cccd_keeps_input_and_writes_nothing(client, login, db, setup):
    login(setup["official"])
    before = _count(db, Person)
    response = client.post_form(f"/ho/{setup['household'].id}/nguoi/moi", {**PERSON, "cccd": "12345"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Số CCCD phải gồm đúng 12 chữ số" in body
    assert 'value="Trần Thị Hương"' in body and 'value="12345"' in body
    assert _count(db, Person) == before


def test_cccd_of_someone_else_blocks(client, login, db, setup, make_household):
    login(setup["official"])
    assert client.post_form(f"/ho/{setup['household'].id}/nguoi/moi",
                            {**PERSON, "cccd": "024185001234"}).status_code == 302
    other = make_household(setup["village"], head_name="Lê Văn Đạt", people=1)
    response = client.post_form(f"/ho/{other.id}/nguoi/moi",
                                {**PERSON, "full_name": "Lê Thị Hoa", "cccd": "0241 8500 1234"})
    assert response.status_code == 422
    assert "Trùng với hồ sơ đã có" in response.get_data(as_text=True)
    assert _count(db, Person, Person.household_id == other.id) == 1


def test_same_name_and_birth_year_warns_then_saves_when_confirmed(client, login, db, setup, make_household):
    login(setup["official"])
    assert client.post_form(f"/ho/{setup['household'].id}/nguoi/moi", PERSON).status_code == 302
    other = make_household(setup["village"], head_name="Lê Văn Đạt", people=1)
    url = f"/ho/{other.id}/nguoi/moi"
    first = client.post_form(url, {**PERSON, "full_name": "TRẦN THỊ HƯƠNG"})
    assert first.status_code == 409
    assert "Có thể đã có người này" in first.get_data(as_text=True)
    assert _count(db, Person, Person.household_id == other.id) == 1
    second = client.post_form(url, {**PERSON, "full_name": "TRẦN THỊ HƯƠNG", "confirm_not_duplicate": "1"})
    assert second.status_code == 302
    assert _count(db, Person, Person.household_id == other.id) == 2


def test_dismissed_duplicate_no_longer_shows(client, login, db, setup, make_household):
    login(setup["official"])
    client.post_form(f"/ho/{setup['household'].id}/nguoi/moi", PERSON)
    other = make_household(setup["village"], people=1)
    client.post_form(f"/ho/{other.id}/nguoi/moi", {**PERSON, "confirm_not_duplicate": "1"})
    a, b = db.exec(select(Person).where(Person.full_name == "Trần Thị Hương").order_by(Person.id)).all()
    assert "Có thể trùng" in client.get(f"/nguoi/{a.id}").get_data(as_text=True)
    assert client.post_form(f"/nguoi/{a.id}/trung/{b.id}/bo-qua").status_code == 302
    assert _count(db, DuplicateDismissal) == 1
    assert "Có thể trùng" not in client.get(f"/nguoi/{a.id}").get_data(as_text=True)
    assert "Có thể trùng" not in client.get(f"/nguoi/{b.id}").get_data(as_text=True)


def test_merging_people_keeps_every_visit_and_enrolment(client, login, db, setup, make_household):
    login(setup["official"])
    client.post_form(f"/ho/{setup['household'].id}/nguoi/moi", {**PERSON, "cccd": "024185001234"})
    other = make_household(setup["village"], people=1)
    client.post_form(f"/ho/{other.id}/nguoi/moi", {**PERSON, "bhxh_code": "2400999999", "confirm_not_duplicate": "1"})
    keep, drop = db.exec(select(Person).where(Person.full_name == "Trần Thị Hương").order_by(Person.id)).all()
    db.add(Enrolment(person_id=drop.id, scheme=Scheme.BHYT_HGD, months=12, from_month=date(2026, 1, 1),
                     valid_until=date(2026, 12, 31), amount_total=1_263_600, amount_person=1_263_600))
    db.add(Visit(uuid=str(uuid.uuid4()), household_id=other.id, member_id=setup["members"][1].id,
                 visited_at=datetime(2026, 11, 1, 3, tzinfo=timezone.utc), outcome=VisitOutcome.AGREED))
    db.commit()
    assert client.post_form(f"/nguoi/{keep.id}/gop/{drop.id}").status_code == 302
    db.expire_all()
    assert _count(db, Enrolment, Enrolment.person_id == keep.id) == 1
    kept, dropped = db.get(Person, keep.id), db.get(Person, drop.id)
    assert kept.cccd == "024185001234" and kept.bhxh_code == "2400999999"
    assert dropped.archived_at is not None and dropped.merged_into_id == keep.id and dropped.bhxh_code is None
    assert "Đã gộp vào hồ sơ của" in client.get(f"/nguoi/{drop.id}").get_data(as_text=True)


def test_merging_households_moves_people_and_visits(client, login, db, setup, make_household):
    login(setup["official"])
    dup = make_household(setup["village"], head_name="Nguyễn Văn Đức", people=3, code="T01-DUP")
    db.add(Visit(uuid=str(uuid.uuid4()), household_id=dup.id, member_id=setup["members"][1].id,
                 visited_at=datetime(2026, 11, 1, 3, tzinfo=timezone.utc), outcome=VisitOutcome.CONSIDERING))
    db.commit()
    keep = setup["household"]
    bad = client.post_form(f"/ho/{keep.id}/gop", {"other_code": "KHONG-CO"})
    assert bad.status_code == 422 and "Không tìm thấy hộ" in bad.get_data(as_text=True)
    assert client.post_form(f"/ho/{keep.id}/gop", {"other_code": "T01-DUP"}).status_code == 302
    assert _count(db, Person, Person.household_id == keep.id) == 5
    assert _count(db, Visit, Visit.household_id == keep.id) == 1
    db.expire_all()
    assert db.get(Household, dup.id).merged_into_id == keep.id


def test_archive_and_restore_household(client, login, db, setup):
    login(setup["official"])
    household = setup["household"]
    assert client.post_form(f"/ho/{household.id}/luu-tru").status_code == 302
    db.expire_all()
    assert db.get(Household, household.id).archived_at is not None
    assert "đã được lưu trữ" in client.get(f"/ho/{household.id}").get_data(as_text=True)
    assert client.post_form(f"/ho/{household.id}/khoi-phuc").status_code == 302
    db.expire_all()
    assert db.get(Household, household.id).archived_at is None


def test_move_household_to_another_village_ends_the_assignment(client, login, db, setup):
    login(setup["official"])
    household = setup["household"]
    assert client.post_form(f"/ho/{household.id}/chuyen-thon",
                            {"village_id": setup["other_village"].id}).status_code == 302
    db.expire_all()
    assert db.get(Household, household.id).village_id == setup["other_village"].id
    assert "Chưa phân công" in client.get(f"/ho/{household.id}").get_data(as_text=True)


def test_household_page_masks_identifiers_and_person_page_shows_them(client, login, db, setup):
    login(setup["official"])
    client.post_form(f"/ho/{setup['household'].id}/nguoi/moi", {**PERSON, "cccd": "024185001234"})
    person = db.exec(select(Person).where(Person.cccd == "024185001234")).one()
    household_page = client.get(f"/ho/{setup['household'].id}").get_data(as_text=True)
    assert "024185001234" not in household_page and "••••••••1234" in household_page
    assert "024185001234" in client.get(f"/nguoi/{person.id}").get_data(as_text=True)


def test_member_records_consent_for_an_assigned_household_only(client, login, db, setup, make_household):
    login(setup["member"])
    mine = db.exec(select(Person).where(Person.household_id == setup["household"].id)).first()
    not_mine = make_household(setup["village"], people=1)
    theirs = db.exec(select(Person).where(Person.household_id == not_mine.id)).first()
    missing_tick = client.post_form(f"/nguoi/{mine.id}/dong-y", {"note": "Đồng ý tại nhà"})
    assert missing_tick.status_code == 422 and "Hãy đánh dấu xác nhận" in missing_tick.get_data(as_text=True)
    assert client.post_form(f"/nguoi/{mine.id}/dong-y", {"agreed": "y", "note": "Đồng ý tại nhà"}).status_code == 302
    db.expire_all()
    assert db.get(Person, mine.id).consent_at is not None
    assert db.get(Person, mine.id).consent_by_id == setup["member"].id
    assert client.post_form(f"/nguoi/{theirs.id}/dong-y", {"agreed": "y"}).status_code == 403


def test_members_cannot_manage_records(client, login, setup):
    login(setup["member"])
    household = setup["household"]
    for method, url in [("get", f"/thon/{setup['village'].id}/ho"), ("get", f"/ho/{household.id}/sua"),
                        ("post", f"/ho/{household.id}/luu-tru"), ("get", f"/ho/{household.id}/nguoi/moi")]:
        response = client.get(url) if method == "get" else client.post_form(url)
        assert response.status_code == 403, url


def test_official_of_another_commune_gets_404_everywhere(client, login, db, setup, make_user):
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    household = setup["household"]
    person = db.exec(select(Person).where(Person.household_id == household.id)).first()
    for url in [f"/thon/{setup['village'].id}/ho", f"/thon/{setup['village'].id}/ho/moi", f"/ho/{household.id}",
                f"/ho/{household.id}/sua", f"/ho/{household.id}/chuyen-thon", f"/ho/{household.id}/gop",
                f"/ho/{household.id}/nguoi/moi", f"/nguoi/{person.id}", f"/nguoi/{person.id}/sua",
                f"/nguoi/{person.id}/dong-y"]:
        assert client.get(url).status_code == 404, url
    for url in [f"/ho/{household.id}/luu-tru", f"/nguoi/{person.id}/luu-tru"]:
        assert client.post_form(url).status_code == 404, url


def test_village_list_pages_and_filters(client, login, db, setup, make_household):
    login(setup["official"])
    for i in range(55):
        make_household(setup["village"], people=0, code=f"T01-{i:04d}", head_name=f"Chủ Hộ {i}")
    first = client.get(f"/thon/{setup['village'].id}/ho").get_data(as_text=True)
    assert "56 hộ" in first and "trang 1/2" in first
    second = client.get(f"/thon/{setup['village'].id}/ho?trang=2", headers={"HX-Request": "true"})
    assert "<html" not in second.get_data(as_text=True) and "trang 2/2" in second.get_data(as_text=True)


@pytest.mark.parametrize("born, sex, bhyt, expiry, bhxh, paid, prospect_bhyt, prospect_bhxh", [
    (1990, Sex.MALE, BhytStatus.NONE, None, BhxhStatus.NONE, None, True, True),
    (1990, Sex.MALE, BhytStatus.HOUSEHOLD, date(2027, 1, 1), BhxhStatus.VOLUNTARY, date(2027, 1, 31), False, False),
    (1990, Sex.MALE, BhytStatus.HOUSEHOLD, date(2026, 11, 1), BhxhStatus.VOLUNTARY, date(2026, 10, 31), True, True),
    (2023, Sex.FEMALE, BhytStatus.NONE, None, BhxhStatus.NONE, None, False, False),  # under 6: state-covered
    (2012, Sex.FEMALE, BhytStatus.NONE, None, BhxhStatus.NONE, None, True, False),  # 14: below working age
    (1950, Sex.MALE, BhytStatus.OTHER_GROUP, None, BhxhStatus.PENSIONER, None, False, False),
    (1968, Sex.FEMALE, BhytStatus.OTHER_GROUP, None, BhxhStatus.NONE, None, False, False),  # 58: past 57y (2026)
    (1986, Sex.MALE, BhytStatus.OTHER_GROUP, None, BhxhStatus.COMPULSORY, None, False, False),
])
def test_coverage_at_a_glance(born, sex, bhyt, expiry, bhxh, paid, prospect_bhyt, prospect_bhxh):
    from fieldwork.households.services import coverage

    person = Person(household_id=1, full_name="X", birth_year=born, sex=sex, bhyt_status=bhyt,
                    bhyt_card_expiry=expiry, bhxh_status=bhxh, bhxh_paid_until=paid)
    result = coverage(person, TODAY)
    assert (result.prospect_bhyt, result.prospect_bhxh) == (prospect_bhyt, prospect_bhxh)
