"""Enrolments and renewals: amounts from the calculator, derived dates, the renewal list, drop-outs, scope."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from fieldwork.enrolments.services import last_day_of_period
from fieldwork.models import (
    BhxhStatus, BhytStatus, Dropout, Enrolment, EnrolmentKind, FollowUp, FollowUpKind, FollowUpStatus, Household,
    Person, Poverty, Role,
)
from fieldwork.text import local_today

PAID_ON = "2026-11-23"  # the receipt date fixes the parameters used: base salary 2,530,000, Decree 159 shares


@pytest.fixture
def family(db, make_village, make_committee, make_user, make_household):
    village = make_village()
    _, members = make_committee(village)
    member = make_user(Role.MEMBER, village=village, member=members[1])
    household = make_household(village, assigned_to=members[1], people=4, head_name="Hoàng Văn Nam")
    household.poverty = Poverty.NEAR_POOR
    db.add(household)
    people = db.exec(select(Person).where(Person.household_id == household.id).order_by(Person.id)).all()
    db.add(FollowUp(household_id=household.id, person_id=people[0].id, member_id=members[1].id,
                    kind=FollowUpKind.COMPLETE_ENROLMENT, due_on=date(2026, 11, 25)))
    db.commit()
    return {"village": village, "members": members, "member": member, "household": household, "people": people,
            "official": make_user(Role.OFFICIAL)}


def _bhxh(client, person, **over):
    data = {"income": "1500000", "mode": "12", "years": "1", "missing_months": "0", "from_month": "2026-12",
            "other_support": "0", "receipt_no": "BL-0001", "receipt_date": PAID_ON, "collector_code": "NV01", **over}
    return client.post_form(f"/nguoi/{person.id}/bhxh/moi", data)


def test_bhxh_enrolment_takes_its_amounts_from_the_calculator(client, login, db, family):
    login(family["member"])
    head = family["people"][0]
    assert _bhxh(client, head).status_code == 302
    enrolment = db.exec(select(Enrolment)).one()
    # near-poor: 40 % of 22 % × 1,500,000 = 132,000 a month of state support (domain.md §2)
    assert (enrolment.amount_total, enrolment.amount_state, enrolment.amount_person) == (3_960_000, 1_584_000, 2_376_000)
    assert (enrolment.from_month, enrolment.valid_until) == (date(2026, 12, 1), date(2027, 11, 30))
    assert enrolment.kind == EnrolmentKind.NEW and enrolment.collector_code == "NV01"
    db.expire_all()
    person = db.get(Person, head.id)
    assert (person.bhxh_status, person.bhxh_paid_until) == (BhxhStatus.VOLUNTARY, date(2027, 11, 30))
    task = db.exec(select(FollowUp).where(FollowUp.kind == FollowUpKind.COMPLETE_ENROLMENT)).one()
    assert task.status == FollowUpStatus.DONE


def test_second_payment_is_a_renewal(client, login, db, family):
    login(family["member"])
    _bhxh(client, family["people"][0])
    _bhxh(client, family["people"][0], from_month="2027-12", mode="6")
    kinds = db.exec(select(Enrolment.kind).order_by(Enrolment.id)).all()
    assert kinds == [EnrolmentKind.NEW, EnrolmentKind.RENEWAL]
    db.expire_all()
    assert db.get(Person, family["people"][0].id).bhxh_paid_until == date(2028, 5, 31)


@pytest.mark.parametrize("income, message", [("1450000", "thấp nhất là 1.500.000 đ"), ("1520000", "bội số của 50.000 đ")])
def test_bad_income_is_refused_with_the_fix_and_writes_nothing(client, login, db, family, income, message):
    login(family["member"])
    response = _bhxh(client, family["people"][0], income=income, receipt_no="BL-XYZ")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'value="BL-XYZ"' in body
    assert db.exec(select(func.count(Enrolment.id))).one() == 0


def test_sponsor_share_is_other_support(client, login, db, family):
    login(family["member"])
    _bhxh(client, family["people"][0], other_support="1000000")
    enrolment = db.exec(select(Enrolment)).one()
    assert (enrolment.amount_other, enrolment.amount_person) == (1_000_000, 1_376_000)
    too_much = _bhxh(client, family["people"][1], other_support="9000000")
    assert too_much.status_code == 422


def test_bhyt_ranks_continue_after_members_already_holding_a_card(client, login, db, family):
    people = family["people"]
    holder = db.get(Person, people[0].id)
    holder.bhyt_status, holder.bhyt_card_expiry = BhytStatus.HOUSEHOLD, date(2027, 6, 30)
    db.add(holder)
    db.commit()
    login(family["member"])
    response = client.post_form(f"/ho/{family['household'].id}/bhyt/moi", {
        "person_ids": [str(people[1].id), str(people[2].id), str(people[3].id)], "months": "12",
        "from_month": "2026-12", "receipt_date": PAID_ON})
    assert response.status_code == 302
    rows = db.exec(select(Enrolment).order_by(Enrolment.bhyt_rank)).all()
    assert [r.bhyt_rank for r in rows] == [2, 3, 4]
    # at 2,530,000: 2nd 79,695, 3rd 68,310, 4th 56,925 a month; near-poor households get 70 % state support
    assert [r.amount_total for r in rows] == [956_340, 819_720, 683_100]
    assert [r.amount_state for r in rows] == [55_787 * 12, 47_817 * 12, 39_848 * 12]
    assert all(r.amount_person + r.amount_state == r.amount_total for r in rows)
    assert len({r.batch_key for r in rows}) == 1
    db.expire_all()
    assert db.get(Person, people[3].id).bhyt_card_expiry == date(2027, 11, 30)


def test_poor_households_are_not_sold_cards(client, login, db, family):
    household = db.get(Household, family["household"].id)
    household.poverty = Poverty.POOR
    db.add(household)
    db.commit()
    login(family["member"])
    response = client.post_form(f"/ho/{household.id}/bhyt/moi", {
        "person_ids": [str(family["people"][0].id)], "months": "12", "from_month": "2026-12", "receipt_date": PAID_ON})
    assert response.status_code == 422 and "Hộ nghèo được Nhà nước cấp thẻ BHYT" in response.get_data(as_text=True)
    assert db.exec(select(func.count(Enrolment.id))).one() == 0


def test_renewal_list_and_drop_out(client, login, db, family):
    today = local_today()
    person = db.get(Person, family["people"][2].id)
    person.bhyt_status, person.bhyt_card_expiry = BhytStatus.HOUSEHOLD, last_day_of_period(today, 1)
    db.add(person)
    db.commit()
    login(family["member"])
    page = client.get("/gia-han").get_data(as_text=True)
    assert f"<strong>{person.full_name}</strong>" in page and "Đóng tiếp" in page
    bad = client.post_form(f"/nguoi/{person.id}/ngung-dong", {"scheme": "bhyt_hgd", "reason": "khong-co"})
    assert bad.status_code == 422
    assert client.post_form(f"/nguoi/{person.id}/ngung-dong", {"scheme": "bhyt_hgd", "reason": "cannot_afford",
                                                               "note": "Mất mùa"}).status_code == 302
    assert db.exec(select(Dropout)).one().ended_on == person.bhyt_card_expiry
    assert f"<strong>{person.full_name}</strong>" not in client.get("/gia-han").get_data(as_text=True)


def test_renewal_list_follows_each_users_scope(client, login, db, family, make_user):
    """The list's statements are built once per kind of scope; each user still sees only their own households."""
    today = local_today()
    person = db.get(Person, family["people"][2].id)
    person.bhyt_status, person.bhyt_card_expiry = BhytStatus.HOUSEHOLD, last_day_of_period(today, 1)
    db.add(person)
    db.commit()
    shown = f"<strong>{person.full_name}</strong>"
    seen = {}
    for name, user in (("assigned member", family["member"]),
                       ("same village, not assigned", make_user(Role.MEMBER, village=family["village"],
                                                                member=family["members"][2])),
                       ("member without a committee seat", make_user(Role.MEMBER, village=family["village"])),
                       ("official of the commune", family["official"]),
                       ("official of another commune", make_user(Role.OFFICIAL, commune_code="00004")),
                       ("admin", make_user(Role.ADMIN)),
                       ("assigned member again", family["member"])):
        login(user)
        response = client.get("/gia-han")
        assert response.status_code == 200, name
        seen[name] = shown in response.get_data(as_text=True)
    assert seen == {"assigned member": True, "same village, not assigned": False,
                    "member without a committee seat": False, "official of the commune": True,
                    "official of another commune": False, "admin": True, "assigned member again": True}


def test_enrolment_scope(client, login, db, family, make_user, make_village, make_committee):
    other = make_user(Role.MEMBER, village=family["village"], member=family["members"][2])
    login(other)
    assert client.get(f"/nguoi/{family['people'][0].id}/bhxh/moi").status_code == 403
    assert client.get(f"/ho/{family['household'].id}/bhyt/moi").status_code == 403
    assert client.get(f"/nguoi/{family['people'][0].id}/ngung-dong").status_code == 403
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert client.get(f"/nguoi/{family['people'][0].id}/bhxh/moi").status_code == 404
    assert client.get(f"/ho/{family['household'].id}/bhyt/moi").status_code == 404
    login(family["official"])
    assert client.get(f"/nguoi/{family['people'][0].id}/bhxh/moi").status_code == 200


def test_calculator_page_answers_as_you_type(client, login, family):
    login(family["member"])
    page = client.get("/tinh-muc-dong?scheme=bhxh_tn&group=near_poor&income=1500000&mode=1")
    assert page.status_code == 200 and "198.000 đ" in page.get_data(as_text=True)
    partial = client.get("/tinh-muc-dong?scheme=bhxh_tn&group=other&income=1520000&mode=1",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "bội số của 50.000 đ" in partial
    bhyt = client.get("/tinh-muc-dong?scheme=bhyt_hgd&members=2&months=12&support=none").get_data(as_text=True)
    assert "1.366.200 đ" in bhyt and "956.340 đ" in bhyt


def test_calculator_from_a_person_prefills_their_enrolment(client, login, db, family):
    login(family["member"])
    head = family["people"][0]
    person_page = client.get(f"/nguoi/{head.id}").get_data(as_text=True)
    assert "group=near_poor" in person_page  # the household is near-poor
    quote = client.get(f"/tinh-muc-dong?scheme=bhxh_tn&group=near_poor&income=2000000&mode=6&nguoi={head.id}")
    body = quote.get_data(as_text=True)
    assert f"/nguoi/{head.id}/bhxh/moi?income=2000000&amp;mode=6" in body
    form = client.get(f"/nguoi/{head.id}/bhxh/moi?income=2000000&mode=6").get_data(as_text=True)
    assert 'value="2000000"' in form and '<option selected value="6">' in form
