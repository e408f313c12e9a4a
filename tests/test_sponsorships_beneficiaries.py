"""Who needs a sponsor: people a visit flagged "cannot afford", and poor, near-poor and hardship households' prospects."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import select

from fieldwork.models import BhxhStatus, BhytStatus, Household, Person, Poverty, utcnow

from .sponsorships_data import commune, needs_sponsor, propose  # noqa: F401


def _people(page: str) -> set[str]:
    return set(re.findall(r"<strong>([^<]+)</strong></a>", page))


def _set(db, model, id_, **values):
    row = db.get(model, id_)
    for key, value in values.items():
        setattr(row, key, value)
    db.add(row)
    db.commit()
    return row


def test_the_list_shows_who_needs_a_sponsor_and_why(client, login, db, make_household, commune):
    village, official = commune["village"], commune["official"]
    nam, suong, binh = commune["people"]
    _set(db, Person, binh.id, bhyt_status=BhytStatus.OTHER_GROUP, bhxh_status=BhxhStatus.COMPULSORY)  # covered
    flagged = make_household(village, people=2, head_name="Đặng Văn Tùng")  # not poor, refused: cannot afford
    tung, tung_son = db.exec(select(Person).where(Person.household_id == flagged.id).order_by(Person.id)).all()
    _set(db, Person, tung_son.id, full_name="Đặng Minh Quân")
    needs_sponsor(db, tung)
    poor = make_household(village, people=1, head_name="Lý Thị Hoa")
    _set(db, Household, poor.id, poverty=Poverty.POOR)
    hardship = make_household(village, people=1, head_name="Mai Văn Khổ")
    _set(db, Household, hardship.id, poverty=Poverty.HARDSHIP)
    make_household(village, people=1, head_name="Phan Văn Khá")  # nobody asked, not poor

    login(official)
    page = client.get("/tai-tro/can-ho-tro").get_data(as_text=True)
    assert _people(page) == {"Hoàng Văn Nam", "Lò Thị Sương", "Đặng Văn Tùng", "Lý Thị Hoa", "Mai Văn Khổ"}
    assert "Từ chối vì không đủ khả năng đóng" in page and "Hộ cận nghèo" in page and "Hoàn cảnh khó khăn" in page
    # the poor get their cards from the state: a book only
    poor_person = db.exec(select(Person).where(Person.household_id == poor.id)).one()
    assert f"/nguoi/{poor_person.id}/tai-tro/moi?scheme=bhxh_tn" in page
    assert f"/nguoi/{poor_person.id}/tai-tro/moi?scheme=bhyt_hgd" not in page
    assert page.index("Đặng Văn Tùng") < page.index("Lý Thị Hoa")  # flagged by a visit first

    propose(client, nam, commune["bank"])  # a book for Nam: he still needs a card
    page = client.get("/tai-tro/can-ho-tro").get_data(as_text=True)
    assert f"/nguoi/{nam.id}/tai-tro/moi?scheme=bhxh_tn" not in page
    assert f"/nguoi/{nam.id}/tai-tro/moi?scheme=bhyt_hgd" in page


def test_a_household_level_flag_lists_its_prospects(client, login, db, make_household, commune):
    household = make_household(commune["village"], people=2, head_name="Vi Văn Sáng")
    people = db.exec(select(Person).where(Person.household_id == household.id).order_by(Person.id)).all()
    _set(db, Person, people[1].id, full_name="Vi Thị Lan")
    needs_sponsor(db, None, household_id=household.id)
    login(commune["official"])
    page = client.get("/tai-tro/can-ho-tro").get_data(as_text=True)
    assert {"Vi Văn Sáng", "Vi Thị Lan"} <= _people(page)


def test_members_see_their_assigned_households_only(client, login, db, make_village, make_household, commune):
    elsewhere = db.get(Household, commune["elsewhere"].id)
    _set(db, Household, elsewhere.id, poverty=Poverty.NEAR_POOR)
    foreign = make_household(make_village(commune_code="00004"), people=1, head_name="Ngô Văn Xa")
    _set(db, Household, foreign.id, poverty=Poverty.POOR)
    login(commune["member"])
    page = client.get("/tai-tro/can-ho-tro").get_data(as_text=True)
    assert _people(page) == {"Hoàng Văn Nam", "Lò Thị Sương", "Hoàng Văn Bình"}
    login(commune["official"])
    page = client.get("/tai-tro/can-ho-tro").get_data(as_text=True)
    assert "Trần Thị Mai" in _people(page) and "Ngô Văn Xa" not in page


def test_people_covered_or_out_of_reach_are_not_listed(client, login, db, commune):
    nam, suong, binh = commune["people"]
    _set(db, Person, nam.id, bhyt_status=BhytStatus.HOUSEHOLD, bhyt_card_expiry=date(2099, 1, 1),
         bhxh_status=BhxhStatus.VOLUNTARY, bhxh_paid_until=date(2099, 1, 1))
    _set(db, Person, suong.id, archived_at=utcnow())
    login(commune["official"])
    assert _people(client.get("/tai-tro/can-ho-tro").get_data(as_text=True)) == {"Hoàng Văn Bình"}
    _set(db, Household, commune["household"].id, outreach_stopped="moved_away")
    assert _people(client.get("/tai-tro/can-ho-tro").get_data(as_text=True)) == set()
