"""The endpoint that records a phone's queued visits: exactly once, never dropped, never a login page."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import func, select

from fieldwork.models import (
    Assignment, AttentionReason, FollowUp, FollowUpKind, Household, Role, Visit, VisitAttention, VisitOutcome, utcnow,
)
from fieldwork.text import local_today

URL = "/dong-bo/van-dong"


@pytest.fixture
def field(make_village, make_committee, make_user, make_household):
    village = make_village()
    _, members = make_committee(village)
    user = make_user(Role.MEMBER, village=village, member=members[1])
    households = [make_household(village, assigned_to=members[1], people=2, head_name=n)
                  for n in ("Nguyễn Văn Đức", "Trần Thị Hương", "Lê Văn Đạt")]
    return {"village": village, "members": members, "user": user, "households": households,
            "official": make_user(Role.OFFICIAL), "other": make_household(village, assigned_to=members[2])}


def visit(household, outcome="considering", **extra) -> dict:
    return {"uuid": str(uuid.uuid4()), "household_id": household.id, "outcome": outcome, "channel": "home",
            "visited_at": extra.pop("visited_at", utcnow().isoformat().replace("+00:00", "Z")), **extra}


def send(client, user, visits, token=None, **extra):
    token = token if token is not None else client.csrf_token()
    return client.post(URL, json={"user_id": user.id, "visits": visits, **extra}, headers={"X-CSRFToken": token})


def statuses(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [r["status"] for r in response.get_json()["results"]]


def count(db, model=Visit) -> int:
    db.expire_all()
    return db.exec(select(func.count(model.id))).one()


def test_three_queued_visits_are_recorded_with_the_phones_time(client, login, db, field):
    login(field["user"])
    two_hours_ago = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    batch = [visit(h, visited_at=two_hours_ago.isoformat()) for h in field["households"]]
    assert statuses(send(client, field["user"], batch)) == ["accepted"] * 3
    visits = db.exec(select(Visit).order_by(Visit.id)).all()
    assert [v.uuid for v in visits] == [b["uuid"] for b in batch]
    assert {v.visited_at for v in visits} == {two_hours_ago}
    assert {v.member_id for v in visits} == {field["members"][1].id}
    assert count(db, FollowUp) == 3  # each "considering" plans its revisit


def test_a_replay_is_a_duplicate_and_changes_nothing(client, login, db, field):
    login(field["user"])
    batch = [visit(h) for h in field["households"]]
    send(client, field["user"], batch)
    again = send(client, field["user"], batch)
    assert statuses(again) == ["duplicate"] * 3
    assert count(db) == 3 and count(db, FollowUp) == 3
    assert all(r["visit_id"] for r in again.get_json()["results"])


def test_same_uuid_with_other_content_is_a_conflict_kept_for_an_official(client, login, db, field):
    login(field["user"])
    first = visit(field["households"][0], notes="Hẹn chiều mai")
    send(client, field["user"], [first])
    changed = {**first, "outcome": "refused", "reason": "no_trust"}
    assert statuses(send(client, field["user"], [changed])) == ["conflict"]
    assert statuses(send(client, field["user"], [changed])) == ["conflict"]
    stored = db.exec(select(Visit)).one()
    assert stored.outcome == VisitOutcome.CONSIDERING and stored.notes == "Hẹn chiều mai"
    (flag,) = db.exec(select(VisitAttention)).all()  # the same conflicting content twice: one flag
    assert flag.reason == AttentionReason.CONFLICT and flag.payload["outcome"] == "refused"


def test_signed_out_answers_401_json_never_a_login_page(client, db, field):
    response = client.post(URL, json={"user_id": field["user"].id, "visits": [visit(field["households"][0])]})
    assert response.status_code == 401
    assert response.get_json() == {"error": "signed_out"}
    assert count(db) == 0


def test_signing_out_elsewhere_makes_the_queue_wait(client, login, db, field):
    login(field["user"])
    token = client.csrf_token()
    user = db.get(type(field["user"]), field["user"].id)
    user.session_version += 1  # "sign out everywhere" from another phone: this cookie is dead
    db.add(user)
    db.commit()
    response = send(client, field["user"], [visit(field["households"][0])], token=token)
    assert (response.status_code, response.get_json()) == (401, {"error": "signed_out"})


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_a_stale_or_missing_csrf_token_has_its_own_code(client, login, db, field, token):
    login(field["user"])
    response = send(client, field["user"], [visit(field["households"][0])], token=token)
    assert (response.status_code, response.get_json()) == (400, {"error": "csrf"})
    assert count(db) == 0


def test_the_session_endpoint_gives_a_fresh_token_that_works(client, login, db, field):
    assert client.get("/dong-bo/phien").status_code == 401
    login(field["user"])
    state = client.get("/dong-bo/phien").get_json()
    assert state["user_id"] == field["user"].id
    assert statuses(send(client, field["user"], [visit(field["households"][0])], token=state["csrf"])) == ["accepted"]


def test_a_queue_of_another_login_waits_for_its_owner(client, login, db, field, make_user):
    login(field["user"])
    response = client.post(URL, json={"user_id": field["user"].id + 999, "visits": [visit(field["households"][0])]},
                           headers={"X-CSRFToken": client.csrf_token()})
    assert (response.status_code, response.get_json()) == (409, {"error": "other_user"})
    assert count(db) == 0


def test_a_household_reassigned_meanwhile_keeps_the_visit_for_an_official(client, login, db, field):
    household = field["households"][0]
    row = db.exec(select(Assignment).where(Assignment.household_id == household.id)).one()
    row.valid_to = local_today()
    db.add(row)
    db.add(Assignment(household_id=household.id, member_id=field["members"][3].id, valid_from=local_today()))
    db.commit()
    login(field["user"])
    response = send(client, field["user"], [visit(household, "do_not_contact")])
    assert statuses(response) == ["needs_attention"]
    assert response.get_json()["results"][0]["attention"] == "reassigned"
    stored = db.exec(select(Visit)).one()
    assert stored.member_id == field["members"][1].id
    db.expire_all()
    assert db.get(Household, household.id).outreach_stopped is None  # the official decides, not the late visit
    assert db.exec(select(VisitAttention)).one().reason == AttentionReason.REASSIGNED
    login(field["official"])
    page = client.get("/van-dong/can-xem").get_data(as_text=True)
    assert household.head_name in page and "Hộ đã được giao cho người khác" in page
    assert "1 lần vận động cần cán bộ xã xem" in client.get("/").get_data(as_text=True)


def test_an_archived_household_keeps_the_visit_and_the_official_resolves_it(client, login, db, field):
    household = field["households"][1]
    household.archived_at = utcnow()
    db.add(household)
    db.commit()
    login(field["user"])
    assert statuses(send(client, field["user"], [visit(household, "agreed", scheme="bhyt_hgd")])) == \
        ["needs_attention"]
    assert count(db, FollowUp) == 0
    flag = db.exec(select(VisitAttention)).one()
    assert flag.reason == AttentionReason.ARCHIVED
    login(field["official"])
    assert client.post_form(f"/van-dong/can-xem/{flag.id}/da-xem").status_code == 302
    db.expire_all()
    assert db.get(VisitAttention, flag.id).resolved_at is not None
    assert "Không có lần vận động nào cần xem." in client.get("/van-dong/can-xem").get_data(as_text=True)


def test_members_do_not_see_the_review_page(client, login, field):
    login(field["user"])
    assert client.get("/van-dong/can-xem").status_code == 403


def test_a_household_never_assigned_to_the_member_is_refused(client, login, db, field):
    login(field["user"])
    assert statuses(send(client, field["user"], [visit(field["other"]), {**visit(field["other"]),
                                                                          "household_id": 10 ** 9}])) \
        == ["forbidden", "forbidden"]
    assert count(db) == 0


def test_invalid_content_is_refused_with_the_field_and_the_rest_recorded(client, login, db, field):
    login(field["user"])
    bad, good = visit(field["households"][0], "refused"), visit(field["households"][1], "not_home")
    response = send(client, field["user"], [bad, good, {**visit(field["households"][2]), "visited_at": "hôm qua"}])
    assert statuses(response) == ["invalid", "accepted", "invalid"]
    first = response.get_json()["results"][0]
    assert first["field"] == "reason" and "lý do" in first["message"]
    assert count(db) == 1


def test_a_revisit_date_chosen_days_ago_is_not_in_the_past(client, login, db, field):
    login(field["user"])
    three_days_ago = datetime.now(timezone.utc) - timedelta(days=3)
    chosen = (local_today() - timedelta(days=1)).isoformat()  # was two days ahead on the day of the visit
    sent = visit(field["households"][0], visited_at=three_days_ago.isoformat(), next_date=chosen)
    assert statuses(send(client, field["user"], [sent])) == ["accepted"]
    follow_up = db.exec(select(FollowUp).where(FollowUp.kind == FollowUpKind.REVISIT)).one()
    assert follow_up.due_on == date.fromisoformat(chosen)


def test_a_phone_clock_ahead_does_not_put_visits_in_the_future(client, login, db, field):
    login(field["user"])
    send(client, field["user"], [visit(field["households"][0], visited_at="2099-01-01T00:00:00Z")])
    assert db.exec(select(Visit)).one().visited_at <= utcnow()


def test_the_interactive_visit_gets_the_usual_confirmation(client, login, db, field):
    login(field["user"])
    sent = visit(field["households"][0])
    send(client, field["user"], [sent], interactive=sent["uuid"])
    assert "Đã ghi nhận: Đang cân nhắc — hộ Nguyễn Văn Đức." in client.get("/").get_data(as_text=True)


def test_a_batch_too_large_or_malformed_is_refused_whole(client, login, db, field):
    login(field["user"])
    token = client.csrf_token()
    too_many = [visit(field["households"][0]) for _ in range(51)]
    assert send(client, field["user"], too_many, token=token).status_code == 400
    assert client.post(URL, data="nonsense", headers={"X-CSRFToken": token}).get_json() == {"error": "bad_request"}
    assert count(db) == 0


def test_the_status_bar_counts_the_waiting_visits_of_the_officials_commune_only(client, login, db, field,
                                                                                 make_village, make_committee,
                                                                                 make_household, make_user):
    """Every official page says how many visits wait for them: the unresolved ones of their own commune."""
    elsewhere = make_village(commune_code="00004")
    _, far_members = make_committee(elsewhere)
    far_household = make_household(elsewhere, assigned_to=far_members[1])

    def waiting(household, member, resolved=False):
        row = Visit(uuid=str(uuid.uuid4()), household_id=household.id, member_id=member.id, visited_at=utcnow(),
                    outcome=VisitOutcome.CONSIDERING)
        db.add(row)
        db.flush()
        db.add(VisitAttention(visit_id=row.id, reason=AttentionReason.REASSIGNED,
                              resolved_at=utcnow() if resolved else None))

    for household in field["households"][:2]:
        waiting(household, field["members"][1])
    waiting(field["households"][2], field["members"][1], resolved=True)
    waiting(far_household, far_members[1])
    waiting(far_household, far_members[1])
    waiting(far_household, far_members[1])
    db.commit()
    login(field["official"])
    assert "2 lần vận động cần cán bộ xã xem" in client.get("/").get_data(as_text=True)
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert "3 lần vận động cần cán bộ xã xem" in client.get("/").get_data(as_text=True)
