"""A person's data rights: a copy of everything held about them, and withdrawing consent (outreach stops, reports
count them without naming them)."""

from __future__ import annotations

import json

from sqlmodel import select

from fieldwork.models import AuditEvent, FollowUp, FollowUpKind, FollowUpStatus, Household, Person, Role, VisitPerson, Visit
from tests.reports_world import seed_week


def test_an_official_exports_everything_about_a_person(client, login, db, make_village, make_committee,
                                                       make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    household = world.households[0]
    person_id = world.people[household.id][0]
    visit = db.exec(select(Visit).where(Visit.household_id == household.id).order_by(Visit.id)).first()
    db.add(VisitPerson(visit_id=visit.id, person_id=person_id))
    db.commit()
    login(make_user(Role.OFFICIAL))
    response = client.get(f"/nguoi/{person_id}/du-lieu.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["person"]["full_name"] == "Hoàng Văn Bình" and data["household"]["code"] == household.code
    assert [e["amount_total"] for e in data["enrolments"]] == [3_960_000]
    assert [v["id"] for v in data["visits_about_them"]] == [visit.id]
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "person",
                                            AuditEvent.entity_id == person_id)).one()
    login(make_user(Role.MEMBER, village=world.village, member=world.members[1]))
    assert client.get(f"/nguoi/{person_id}/du-lieu.json").status_code == 403
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert client.get(f"/nguoi/{person_id}/du-lieu.json").status_code == 404


def test_withdrawing_consent_stops_outreach_and_reports_stop_naming_them(app, client, login, db, make_village,
                                                                        make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    household = world.households[0]
    first, second = world.people[household.id]
    db.add(FollowUp(household_id=household.id, person_id=first, member_id=world.members[1].id,
                    kind=FollowUpKind.RENEWAL, due_on=world.week.last))
    db.commit()
    login(make_user(Role.MEMBER, village=world.village, member=world.members[1]))
    unconfirmed = client.post_form(f"/nguoi/{first}/rut-dong-y", {"note": "Không muốn được gọi nữa"})
    assert unconfirmed.status_code == 422 and "Không muốn được gọi nữa" in unconfirmed.get_data(as_text=True)
    assert db.get(Person, first).consent_withdrawn_at is None
    done = client.post_form(f"/nguoi/{first}/rut-dong-y", {"note": "Không muốn được gọi nữa", "confirmed": "y"})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(Person, first).consent_withdrawn_at is not None
    assert {f.status for f in db.exec(select(FollowUp).where(FollowUp.person_id == first)).all()} == \
        {FollowUpStatus.CANCELLED}
    assert db.get(Household, household.id).outreach_stopped is None  # someone in the household still consents
    again = client.post_form(f"/nguoi/{first}/rut-dong-y", {"confirmed": "y"})
    assert again.status_code == 422 and "đã rút lại sự đồng ý" in again.get_data(as_text=True)

    from fieldwork.models import Commune, ReportKind
    from fieldwork.reports import archive, services
    from fieldwork.text import local_today
    with app.test_request_context():
        unit = archive.unit_of(db, ReportKind.VILLAGE, db.get(Commune, world.commune_id), world.village)
        report = services.build(db, unit, world.week, local_today())
    assert report.totals.new_bhxh_tn == 1  # still counted
    assert "Hoàng Văn Bình" not in [e.person for e in report.enrolments]
    assert "(người đã rút đồng ý)" in [e.person for e in report.enrolments]

    assert client.post_form(f"/nguoi/{second}/rut-dong-y", {"confirmed": "y"}).status_code == 302
    db.expire_all()
    assert db.get(Household, household.id).outreach_stopped == "withdrawn"  # nobody left to visit
