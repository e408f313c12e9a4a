"""Logging a visit: each outcome and its follow-ups, replays, conflicts, the 24-hour correction window, scope."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import func, select

from fieldwork.models import (
    AuditEvent, FollowUp, FollowUpKind, FollowUpStatus, Household, Person, Role, Visit, VisitOutcome, VisitPerson,
)
from fieldwork.text import local_today


@pytest.fixture
def field(make_village, make_committee, make_user, make_household):
    village = make_village()
    _, members = make_committee(village)
    member = make_user(Role.MEMBER, village=village, member=members[1])
    other_member = make_user(Role.MEMBER, village=village, member=members[2])
    household = make_household(village, assigned_to=members[1], people=3)
    return {"village": village, "members": members, "member": member, "other_member": other_member,
            "household": household, "official": make_user(Role.OFFICIAL)}


def _post(client, household, outcome, **extra):
    data = {"uuid": extra.pop("uuid", str(uuid.uuid4())), "outcome": outcome, "channel": "home", **extra}
    return client.post_form(f"/ho/{household.id}/van-dong", data)


def _open(db, household, kind=None):
    q = select(FollowUp).where(FollowUp.household_id == household.id, FollowUp.status == FollowUpStatus.OPEN)
    if kind:
        q = q.where(FollowUp.kind == kind)
    return db.exec(q).all()


def test_considering_creates_a_revisit_in_seven_days_by_default(client, login, db, field):
    login(field["member"])
    assert _post(client, field["household"], "considering").status_code == 302
    visit = db.exec(select(Visit)).one()
    assert visit.outcome == VisitOutcome.CONSIDERING
    assert visit.next_date == local_today() + timedelta(days=7)
    (follow_up,) = _open(db, field["household"])
    assert (follow_up.kind, follow_up.due_on, follow_up.visit_id) == (FollowUpKind.REVISIT, visit.next_date, visit.id)
    assert (follow_up.member_id, follow_up.created_by_id, follow_up.closed_at) == (
        visit.member_id, field["member"].id, None) and follow_up.created_at is not None
    (audit,) = db.exec(select(AuditEvent).where(AuditEvent.entity == "visit")).all()
    # The rows a visit adds go in as plain INSERTs (db.insert_rows): the audit line is whole, its JSON included.
    assert (audit.action, audit.entity_id, audit.user_id) == ("create", visit.id, field["member"].id)
    assert (audit.after["uuid"], audit.after["outcome"], audit.after["attention"]) == (visit.uuid, "considering", None)


def test_considering_with_a_chosen_date(client, login, db, field):
    login(field["member"])
    day = local_today() + timedelta(days=3)
    _post(client, field["household"], "considering", next_date=day.isoformat())
    assert _open(db, field["household"])[0].due_on == day


def test_not_home_revisits_tomorrow(client, login, db, field):
    login(field["member"])
    _post(client, field["household"], "not_home")
    assert _open(db, field["household"])[0].due_on == local_today() + timedelta(days=1)


def test_refused_needs_a_reason_and_cannot_afford_flags_a_sponsor(client, login, db, field):
    login(field["member"])
    missing = _post(client, field["household"], "refused")
    assert missing.status_code == 422 and "Hãy chọn lý do từ chối" in missing.get_data(as_text=True)
    assert db.exec(select(func.count(Visit.id))).one() == 0
    person = db.exec(select(Person).where(Person.household_id == field["household"].id)).first()
    assert _post(client, field["household"], "refused", reason="cannot_afford", person_ids=str(person.id)).status_code == 302
    (flag,) = _open(db, field["household"], FollowUpKind.NEEDS_SPONSOR)
    assert flag.person_id == person.id


def test_refused_for_other_reasons_creates_nothing(client, login, db, field):
    login(field["member"])
    _post(client, field["household"], "refused", reason="no_trust")
    assert _open(db, field["household"]) == []


def test_agreed_creates_complete_enrolment_tasks_per_person(client, login, db, field):
    login(field["member"])
    people = db.exec(select(Person).where(Person.household_id == field["household"].id)).all()
    client.post_form(f"/ho/{field['household'].id}/van-dong", {
        "uuid": str(uuid.uuid4()), "outcome": "agreed", "scheme": "bhyt_hgd", "channel": "home",
        "person_ids": [str(people[0].id), str(people[1].id)]})
    tasks = _open(db, field["household"], FollowUpKind.COMPLETE_ENROLMENT)
    assert sorted(t.person_id for t in tasks) == sorted([people[0].id, people[1].id])
    assert db.exec(select(func.count()).select_from(VisitPerson)).one() == 2


def test_a_new_visit_closes_the_revisit_that_was_due(client, login, db, field):
    login(field["member"])
    _post(client, field["household"], "not_home")
    _post(client, field["household"], "already_covered")
    assert _open(db, field["household"]) == []
    done = db.exec(select(FollowUp).where(FollowUp.status == FollowUpStatus.DONE)).all()
    assert len(done) == 1


@pytest.mark.parametrize("outcome, flag", [("do_not_contact", "do_not_contact"), ("moved_away", "moved_away")])
def test_stopping_outcomes_take_the_household_off_the_worklist(client, login, db, field, outcome, flag):
    login(field["member"])
    _post(client, field["household"], "considering")
    _post(client, field["household"], outcome)
    db.expire_all()
    assert db.get(Household, field["household"].id).outreach_stopped == flag
    rows = client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert field["household"].head_name not in rows
    if outcome == "do_not_contact":
        assert _open(db, field["household"]) == []


def test_official_puts_a_household_back_on_the_worklist(client, login, db, field):
    login(field["member"])
    _post(client, field["household"], "moved_away")
    login(field["official"])
    assert client.post_form(f"/ho/{field['household'].id}/tiep-tuc-van-dong").status_code == 302
    db.expire_all()
    assert db.get(Household, field["household"].id).outreach_stopped is None


def test_same_visit_sent_twice_is_recorded_once(client, login, db, field):
    login(field["member"])
    visit_uuid = str(uuid.uuid4())
    first = _post(client, field["household"], "considering", uuid=visit_uuid, notes="Hẹn hỏi ý kiến con trai")
    again = _post(client, field["household"], "considering", uuid=visit_uuid, notes="Hẹn hỏi ý kiến con trai")
    assert first.status_code == again.status_code == 302
    assert db.exec(select(func.count(Visit.id))).one() == 1
    assert len(_open(db, field["household"])) == 1


def test_same_uuid_with_different_content_is_a_conflict_not_an_overwrite(client, login, db, field):
    login(field["member"])
    visit_uuid = str(uuid.uuid4())
    _post(client, field["household"], "considering", uuid=visit_uuid)
    conflict = _post(client, field["household"], "agreed", uuid=visit_uuid)
    assert conflict.status_code == 409
    assert "đã được gửi trước đó với nội dung khác" in conflict.get_data(as_text=True)
    assert db.exec(select(Visit)).one().outcome == VisitOutcome.CONSIDERING


def test_member_corrects_own_visit_within_24_hours_only(client, login, db, field):
    login(field["member"])
    _post(client, field["household"], "not_home")
    visit = db.exec(select(Visit)).one()
    fix = client.post_form(f"/van-dong/{visit.id}/sua", {"uuid": visit.uuid, "outcome": "considering",
                                                        "channel": "home"})
    assert fix.status_code == 302
    db.expire_all()
    assert db.get(Visit, visit.id).outcome == VisitOutcome.CONSIDERING
    (follow_up,) = _open(db, field["household"])
    assert follow_up.due_on == local_today() + timedelta(days=7)  # the not-home revisit was replaced
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.action == "correct")).one() == 1

    visit = db.get(Visit, visit.id)
    visit.created_at = datetime.now(timezone.utc) - timedelta(hours=25)
    db.add(visit)
    db.commit()
    assert client.get(f"/van-dong/{visit.id}/sua").status_code == 403
    assert client.post_form(f"/van-dong/{visit.id}/sua", {"uuid": visit.uuid, "outcome": "agreed",
                                                         "channel": "home"}).status_code == 403
    login(field["official"])
    assert client.post_form(f"/van-dong/{visit.id}/sua", {"uuid": visit.uuid, "outcome": "agreed",
                                                         "channel": "home"}).status_code == 302


def test_other_member_cannot_log_or_correct(client, login, db, field):
    login(field["member"])
    _post(client, field["household"], "not_home")
    visit = db.exec(select(Visit)).one()
    login(field["other_member"])
    assert client.get(f"/ho/{field['household'].id}/van-dong").status_code == 403
    assert _post(client, field["household"], "considering").status_code == 403
    assert client.get(f"/van-dong/{visit.id}/sua").status_code == 403


def test_member_of_another_village_gets_404(client, login, db, field, make_village, make_committee, make_user):
    village = make_village()
    _, members = make_committee(village)
    login(make_user(Role.MEMBER, village=village, member=members[0]))
    assert client.get(f"/ho/{field['household'].id}/van-dong").status_code == 404
    assert _post(client, field["household"], "considering").status_code == 404


def test_past_revisit_date_is_refused_and_kept(client, login, db, field):
    login(field["member"])
    response = _post(client, field["household"], "considering", next_date="2020-01-01", notes="Ghi chú của tôi")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "không được ở quá khứ" in body and "Ghi chú của tôi" in body
    assert db.exec(select(func.count(Visit.id))).one() == 0


def test_outcome_form_is_a_partial_for_htmx(client, login, field):
    login(field["member"])
    partial = client.get(f"/ho/{field['household'].id}/van-dong?ket-qua=considering", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body and 'name="next_date"' in body


def test_replay_days_later_with_a_now_past_date_is_still_a_replay(client, login, db, field):
    from fieldwork.visits import services
    from fieldwork.security import member_record

    login(field["member"])
    day = local_today() + timedelta(days=1)
    visit_uuid = str(uuid.uuid4())
    _post(client, field["household"], "considering", uuid=visit_uuid, next_date=day.isoformat())
    data = services.VisitInput(uuid=visit_uuid, outcome=VisitOutcome.CONSIDERING,
                               visited_at=datetime.now(timezone.utc), next_date=day)
    member = member_record(db, field["member"])
    result = services.log_visit(db, field["household"], member, data, actor=field["member"],
                                today=day + timedelta(days=3))
    assert result.created is False
    assert db.exec(select(func.count(Visit.id))).one() == 1


def test_an_unknown_outcome_in_the_link_opens_the_form_with_the_default(client, login, db, make_village,
                                                                        make_committee, make_household, make_user):
    village = make_village()
    _, members = make_committee(village)
    household = make_household(village, assigned_to=members[1])
    login(make_user(Role.MEMBER, village=village, member=members[1]))
    response = client.get(f"/ho/{household.id}/van-dong?ket-qua=xyz")
    assert response.status_code == 200 and 'value="considering"' in response.get_data(as_text=True)


def test_a_visit_stays_only_if_its_whole_request_commits(app, db, field):
    """The visit, its follow-ups and its audit line are written in the request's one transaction: a request that
    fails after logging the visit leaves nothing of it. (On SQLite a savepoint opened before any write used to start
    a transaction of its own, and releasing it committed the visit alone.)"""
    from sqlmodel import Session

    from fieldwork.db import get_engine
    from fieldwork.visits import services

    sent = str(uuid.uuid4())
    with app.test_request_context(), Session(get_engine(app)) as session:
        household = session.get(Household, field["household"].id)
        member = session.get(type(field["members"][1]), field["members"][1].id)
        data = services.VisitInput(uuid=sent, outcome=VisitOutcome.CONSIDERING,
                                   visited_at=datetime.now(timezone.utc))
        result = services.log_visit(session, household, member, data, actor=field["member"], today=local_today())
        assert result.created and session.exec(select(func.count()).select_from(FollowUp)
                                               .where(FollowUp.visit_id == result.visit.id)).one() == 1
        session.rollback()  # what the request does when anything after this fails
    with Session(get_engine(app)) as fresh:
        assert fresh.exec(select(Visit).where(Visit.uuid == sent)).first() is None
        assert fresh.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "visit")).one() == 0


def test_a_revisit_already_loaded_is_seen_closed_after_the_next_visit(app, db, field):
    """The revisit is closed by a plain UPDATE (not the ORM's bulk update); a follow-up the session had loaded is
    read again, not shown open from memory."""
    from sqlmodel import Session

    from fieldwork.db import get_engine
    from fieldwork.visits import services

    def visit(session, household, member):
        data = services.VisitInput(uuid=str(uuid.uuid4()), outcome=VisitOutcome.CONSIDERING,
                                   visited_at=datetime.now(timezone.utc))
        return services.log_visit(session, household, member, data, actor=field["member"], today=local_today())

    with app.test_request_context(), Session(get_engine(app)) as session:
        household = session.get(Household, field["household"].id)
        member = session.get(type(field["members"][1]), field["members"][1].id)
        first = visit(session, household, member)
        (loaded,) = session.exec(select(FollowUp).where(FollowUp.visit_id == first.visit.id)).all()
        assert loaded.status == FollowUpStatus.OPEN
        second = visit(session, household, member)
        assert loaded.status == FollowUpStatus.DONE and loaded.closed_at is not None
        assert [f.visit_id for f in _open(session, household)] == [second.visit.id]
        session.commit()


def test_a_uuid_stored_meanwhile_is_answered_as_a_replay_without_a_second_row(app, db, field):
    """The visit is stored by INSERT … ON CONFLICT (uuid) DO NOTHING: the same visit sent again in the same
    transaction (the phone's queue and the form at once) returns the stored one and writes nothing more."""
    from sqlmodel import Session

    from fieldwork.db import get_engine
    from fieldwork.visits import services

    sent = services.VisitInput(uuid=str(uuid.uuid4()), outcome=VisitOutcome.NOT_HOME,
                               visited_at=datetime.now(timezone.utc))
    with app.test_request_context(), Session(get_engine(app)) as session:
        household = session.get(Household, field["household"].id)
        member = session.get(type(field["members"][1]), field["members"][1].id)
        first = services.log_visit(session, household, member, sent, actor=field["member"], today=local_today())
        again = services.log_visit(session, household, member, sent, actor=field["member"], today=local_today())
        assert (first.created, again.created, again.visit.id) == (True, False, first.visit.id)
        changed = services.VisitInput(uuid=sent.uuid, outcome=VisitOutcome.CONSIDERING, visited_at=sent.visited_at)
        with pytest.raises(services.VisitConflict):
            services.log_visit(session, household, member, changed, actor=field["member"], today=local_today())
        session.commit()
    assert db.exec(select(func.count()).select_from(Visit).where(Visit.uuid == sent.uuid)).one() == 1
    assert db.exec(select(func.count()).select_from(FollowUp).where(FollowUp.household_id == field["household"].id)
                   ).one() == 1


def test_the_household_page_offers_the_outcomes_to_its_holder_only(client, login, db, field):
    """The page answers "is it mine" from the holder it reads anyway: the holder gets the outcome buttons and the
    offline copy's marker; another member of the village sees the page without either."""
    link = f"/ho/{field['household'].id}/van-dong?ket-qua="
    login(field["member"])
    mine = client.get(f"/ho/{field['household'].id}")
    assert link in mine.get_data(as_text=True)
    assert mine.headers.get("X-Fieldwork-Offline") == str(field["member"].id)
    login(field["other_member"])
    theirs = client.get(f"/ho/{field['household'].id}")
    assert theirs.status_code == 200 and link not in theirs.get_data(as_text=True)
    assert theirs.headers.get("X-Fieldwork-Offline") is None


def test_the_household_page_lists_visits_with_who_made_them_and_what_may_still_be_corrected(client, login, db,
                                                                                             field):
    """Visits newest first with their member's name; the member who logged a visit may correct it for 24 hours
    (a link), not an older one nor another member's; the official may correct any."""
    household, mine, theirs = field["household"], field["members"][1], field["members"][2]
    now = datetime.now(timezone.utc)
    rows = [Visit(uuid=str(uuid.uuid4()), household_id=household.id, member_id=member.id, visited_at=at,
                  created_at=at, outcome=outcome, notes=notes)
            for member, at, outcome, notes in (
                (mine, now - timedelta(hours=2), VisitOutcome.CONSIDERING, "Ghi chú thứ hai"),
                (mine, now - timedelta(days=3), VisitOutcome.NOT_HOME, "Ghi chú thứ ba"),
                (theirs, now - timedelta(hours=1), VisitOutcome.AGREED, "Ghi chú thứ nhất"))]
    db.add_all(rows)
    db.commit()
    login(field["member"])
    page = client.get(f"/ho/{household.id}").get_data(as_text=True)
    assert page.index("Ghi chú thứ nhất") < page.index("Ghi chú thứ hai") < page.index("Ghi chú thứ ba")
    assert mine.full_name in page and theirs.full_name in page
    assert f"/van-dong/{rows[0].id}/sua" in page
    assert f"/van-dong/{rows[1].id}/sua" not in page and f"/van-dong/{rows[2].id}/sua" not in page
    login(field["official"])
    page = client.get(f"/ho/{household.id}").get_data(as_text=True)
    assert all(f"/van-dong/{r.id}/sua" in page for r in rows)
