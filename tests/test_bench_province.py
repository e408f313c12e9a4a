"""bench/province.py: a small generated province is one the app works with, on both databases.

The generator writes rows itself (ids, search docs, sequences), bypassing the app's services, so these tests check
with the app's own code that what it wrote is what the app would have written and can keep working on: sign-in with
the manifest's password, a member's worklist, search, the commune dashboard and report, a new visit afterwards.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from bench.province import generate
from fieldwork.db import get_engine
from fieldwork.households.search import household_doc, person_doc
from fieldwork.models import (
    Assignment, Commune, Household, Person, Province, SearchEntry, User, Village, Visit,
)
from fieldwork.text import LOCAL_TZ, fold, local_today

SCALE = 0.002  # 1,000 households in the province's 166 communes (one village each)


@pytest.fixture
def province(app, database_url, tmp_path):
    """A generated province in the test database (emptied by the ``app`` fixture before and after)."""
    result = generate(database_url, scale=SCALE, seed=7, today=local_today(), manifest_path=tmp_path / "m.json")
    get_engine(app).dispose()  # the app's pooled connections saw the database before the load
    return result


def test_manifest_matches_the_database(province, db):
    manifest = json.loads(province.manifest_path.read_text(encoding="utf-8"))
    assert manifest == province.manifest
    assert set(manifest) >= {"password", "admin", "officials", "heads", "members", "search_terms", "counts"}
    counts = manifest["counts"]
    assert counts["household"] == db.exec(select(func.count(Household.id))).one() == 1000
    assert counts["person"] == db.exec(select(func.count(Person.id))).one()
    assert 3.5 <= counts["person"] / counts["household"] <= 4.5
    assert 7 <= counts["visit"] / counts["household"] <= 13
    assert counts["search_entry"] == counts["household"] + counts["person"]
    # Every village of the province's communes, each with its committee; one official per commune.
    province_id = db.exec(select(Province.id).where(Province.code == "38")).one()
    communes = db.exec(select(Commune.id).where(Commune.province_id == province_id)).all()
    assert {o["commune_id"] for o in manifest["officials"]} == set(communes)
    assert set(db.exec(select(Village.commune_id)).all()) == set(communes)
    phones = db.exec(select(User.phone)).all()
    assert len(phones) == len(set(phones)) == counts["user_account"]
    member = manifest["members"][0]
    assigned = db.exec(select(Assignment.household_id).where(Assignment.member_id == member["member_id"],
                                                              Assignment.valid_to.is_(None))).all()
    assert member["household_ids"] == sorted(assigned)[:50] and assigned


def test_search_rows_are_those_the_app_writes(province, db):
    households = {h.id: h for h in db.exec(select(Household)).all()}
    entries = db.exec(select(SearchEntry)).all()
    people = {p.id: p for p in db.exec(select(Person)).all()}
    communes = dict(db.exec(select(Village.id, Village.commune_id)).all())
    assert len(entries) == len(households) + len(people)
    for entry in entries:
        household = households[entry.household_id]
        if entry.entity == "household":
            assert entry.entity_id == household.id and entry.doc == household_doc(household)
        else:
            person = people[entry.entity_id]
            assert person.household_id == household.id and entry.doc == person_doc(person, household)
            assert person.name_key == fold(person.full_name)
        assert entry.scope == f"v{household.village_id} c{communes[household.village_id]}"
    if db.get_bind().dialect.name == "sqlite":
        with db.get_bind().connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            fts = conn.execute(text("SELECT count(*) FROM search_fts")).scalar()
            assert fts == len(entries)


def test_a_member_signs_in_and_works(province, client, login, db):
    manifest = province.manifest
    member = manifest["members"][0]
    assert login(member["phone"], manifest["password"]).status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    active = db.exec(select(Household.code).where(Household.id.in_(member["household_ids"]),
                                                  Household.outreach_stopped.is_(None))).all()
    assert active and any(code in page.get_data(as_text=True) for code in active)

    # The app inserts after the generated rows: the sequences were moved past the generated ids.
    household_id = db.exec(select(Household.id).where(Household.code == active[0])).one()
    before = db.exec(select(func.max(Visit.id))).one()
    response = client.post_form(f"/ho/{household_id}/van-dong",
                                {"uuid": str(uuid.uuid4()), "outcome": "considering", "channel": "home"})
    assert response.status_code == 302
    db.expire_all()
    newest = db.exec(select(Visit).order_by(Visit.id.desc())).first()
    assert newest.id == before + 1 and newest.household_id == household_id


def test_search_finds_generated_households_in_scope(province, client, login, db):
    manifest = province.manifest
    official = manifest["officials"][0]
    assert login(official["phone"], manifest["password"]).status_code == 302
    villages = set(db.exec(select(Village.id).where(Village.commune_id == official["commune_id"])).all())
    found = 0
    for term in manifest["search_terms"]:
        body = client.get("/tim-kiem", query_string={"q": term}).get_data(as_text=True)
        ids = {int(i) for i in re.findall(r'href="/ho/(\d+)"', body)}
        for household_id in ids:
            assert db.get(Household, household_id).village_id in villages
        found += bool(ids)
    assert found >= len(manifest["search_terms"]) // 2  # a commune of ~6 households has not every name

    admin = manifest["admin"]["phone"]
    assert login(admin, manifest["password"]).status_code == 302
    for term in manifest["search_terms"]:
        body = client.get("/tim-kiem", query_string={"q": term}).get_data(as_text=True)
        assert re.search(r'href="/ho/\d+"', body), term


def test_commune_dashboard_and_report_render(province, client, login, db):
    manifest = province.manifest
    official = manifest["officials"][0]
    commune = db.get(Commune, official["commune_id"])
    assert login(official["phone"], manifest["password"]).status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and commune.name in home.get_data(as_text=True)
    assert client.get("/bao-cao/xa").status_code == 200
    assert client.get("/tien-do", follow_redirects=True).status_code == 200
    head = manifest["heads"][0]
    assert login(head["phone"], manifest["password"]).status_code == 302
    assert client.get(f"/bao-cao/thon/{head['village_id']}").status_code == 200


def _first_rows(db) -> dict[str, list[tuple]]:
    tables = ("village", "user_account", "committee_member", "household", "person", "visit", "follow_up",
              "enrolment", "sponsorship", "target")
    out = {}
    with db.get_bind().connect() as conn:
        for table in tables:
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id LIMIT 20')).mappings().all()
            # The one password hash has a random salt: everything else must be identical.
            out[table] = [tuple(v for k, v in row.items() if k != "password_hash") for row in rows]
    return out


def test_same_seed_same_database_other_seed_other_one(province, database_url, db, tmp_path):
    first = _first_rows(db)
    today = local_today()
    with pytest.raises(SystemExit):  # a database with data is refused without --replace
        generate(database_url, scale=SCALE, seed=7, today=today, manifest_path=tmp_path / "again.json")
    again = generate(database_url, scale=SCALE, seed=7, today=today, replace=True,
                     manifest_path=tmp_path / "again.json")
    assert again.manifest["counts"] == province.manifest["counts"]
    assert again.manifest["members"] == province.manifest["members"]
    assert _first_rows(db) == first
    other = generate(database_url, scale=SCALE, seed=8, today=today, replace=True,
                     manifest_path=tmp_path / "other.json")
    assert _first_rows(db)["person"] != first["person"]
    assert other.manifest["counts"]["household"] == province.manifest["counts"]["household"]
    visits = db.exec(select(Visit.visited_at).order_by(Visit.visited_at.desc())).first()
    assert today - timedelta(days=3) <= visits.astimezone(LOCAL_TZ).date() <= today  # recent work, as of the real today
