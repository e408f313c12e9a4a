"""The visit POST's plain path (issue 9): a common submission is read without building the form
(``forms.plain_input``) and the household with its holder in one statement (``security.household_held_by``).

It must accept only what ``VisitForm`` accepts, and read it the same way; anything else goes the whole way, with the
form's messages, 404 and 403 as before, and nothing written."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import func, select
from werkzeug.datastructures import MultiDict

from fieldwork.models import Assignment, AuditEvent, CommitteeMember, FollowUp, Visit
from fieldwork.text import local_today
from fieldwork.visits.forms import VisitForm, plain_input

AT = datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 25)
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"

# Values each field may take in a submission: (valid ones, odd ones: empty, out of the choices, badly written, past a
# limit, blank).
CHOICES = {
    "uuid": ([UUID, UUID.upper(), str(uuid.UUID(int=7))], ["", "not-a-uuid", UUID + "\n", UUID[:-1], " " + UUID[1:]]),
    "outcome": (["considering", "not_home", "agreed", "refused", "moved_away", "do_not_contact"], ["", "yes", "AGREED"]),
    "reason": (["", "cannot_afford", "no_trust", "other"], ["nope", " ", "Cannot_afford"]),
    "scheme": (["", "bhyt_hgd", "bhxh_tn"], ["student", " "]),
    "channel": (["home", "phone", "meeting"], ["", "email"]),
    "next_date": (["", "2026-12-02", "2027-01-31"], ["2026-02-30", "2026-1-5", "20261202", "02/12/2026", " 2026-12-02",
                                                      "2026-12-02 "]),
    "met_person": (["", "Chị Lan", "  Bà Hoa  ", "x" * 120], ["x" * 121, " " * 5]),
    "notes": (["", "Hẹn chiều mai", "đ" * 2000], ["đ" * 2001, "\n  \n"]),
    "person_ids": (["1"], ["abc"]),
}


def _submission(rng: random.Random) -> MultiDict:
    data = MultiDict()
    for name, (valid, odd) in CHOICES.items():
        roll = rng.random()
        if name == "person_ids" and roll > 0.1:
            continue
        if roll < 0.05:
            continue  # missing
        data.add(name, rng.choice(odd if roll < 0.15 else valid))
        if roll > 0.98:
            data.add(name, rng.choice(valid))  # the field twice
    data.add("csrf_token", "checked-before-the-view")
    return data


def _by_the_form(app, data: MultiDict):
    with app.test_request_context("/ho/1/van-dong", method="POST", data=data):
        form = VisitForm(meta={"csrf": False})  # the CSRF token is CSRFProtect's, before either
        return form.to_input(AT) if form.validate() else None


def _plain(app, data: MultiDict):
    with app.test_request_context("/ho/1/van-dong", method="POST", data=data):
        from flask import request

        return plain_input(request.form, AT)


def test_the_plain_reading_accepts_only_what_the_form_accepts_and_reads_it_the_same(app):
    rng = random.Random(9)
    plain_taken = form_only = both_refuse = 0
    for _ in range(2000):
        data = _submission(rng)
        plain, by_form = _plain(app, data), _by_the_form(app, data)
        if plain is not None:
            assert by_form == plain, data
            plain_taken += 1
        elif by_form is not None:
            form_only += 1
        else:
            both_refuse += 1
    # Every kind of case came up, so the comparison above covered each.
    assert plain_taken > 200 and form_only > 200 and both_refuse > 200, (plain_taken, form_only, both_refuse)


@pytest.mark.parametrize("data", [
    {"uuid": UUID, "outcome": "considering", "channel": "home", "next_date": "2026-12-02", "met_person": "",
     "notes": "Hẹn chiều mai"},  # the form as the phone sends it
    {"uuid": UUID.upper(), "outcome": "refused", "reason": "cannot_afford", "channel": "phone"},
    {"uuid": UUID, "outcome": "agreed", "scheme": "bhyt_hgd", "channel": "home", "met_person": "  Bà Hoa  "},
])
def test_common_submissions_take_the_plain_path(app, data):
    plain = _plain(app, MultiDict(data))
    assert plain is not None and plain == _by_the_form(app, MultiDict(data))
    assert plain.uuid == UUID and plain.person_ids == ()


@pytest.mark.parametrize("change", [
    {"person_ids": "1"},  # the household's people are the choices: the form asks for them
    {"next_date": "2026-1-5"},  # a date the form reads (strptime is lenient) but not written YYYY-MM-DD
    {"uuid": ""},  # the form makes one up
    {"channel": None},  # the form's default
])
def test_what_needs_the_form_goes_through_it(app, change):
    data = {"uuid": UUID, "outcome": "considering", "channel": "home", **change}
    assert _plain(app, MultiDict({k: v for k, v in data.items() if v is not None})) is None


# --- over HTTP ----------------------------------------------------------------------------------------------------


@pytest.fixture
def field(held_household):
    return held_household


def _post(client, household, **extra):
    return client.post_form(f"/ho/{household.id}/van-dong", {
        "uuid": str(uuid.uuid4()), "outcome": "considering", "channel": "home",
        "next_date": (local_today() + timedelta(days=7)).isoformat(), "notes": "Hẹn chiều mai", **extra})


def _written(db) -> tuple[int, int, int]:
    return tuple(db.exec(select(func.count()).select_from(table)).one() for table in (Visit, FollowUp, AuditEvent))


def test_a_plain_visit_is_logged_with_its_follow_up_and_audit_line(client, login, db, field):
    login(field["member"])
    before = _written(db)
    answer = _post(client, field["household"])
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    visit = db.exec(select(Visit)).one()
    assert (visit.household_id, visit.member_id, visit.notes) == (field["household"].id, field["members"][1].id,
                                                                 "Hẹn chiều mai")
    assert _written(db) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert "Đã ghi nhận: Đang cân nhắc — hộ Nguyễn Văn Đức." in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who, status", [("colleague", 403), ("stranger", 404)])
def test_a_plain_visit_outside_the_members_households_is_refused_as_before(client, login, db, field, who, status):
    """The one statement finds nothing; the whole way answers: another village's household does not exist for this
    member (404), a household of the village held by someone else may not be logged by them (403)."""
    login(field[who])
    before = _written(db)
    assert _post(client, field["household"]).status_code == status
    assert _written(db) == before


def test_a_household_taken_back_is_refused_as_before(client, login, db, field):
    login(field["member"])
    for held in db.exec(select(Assignment).where(Assignment.household_id == field["household"].id)).all():
        held.valid_to = datetime.now(timezone.utc)
        db.add(held)
    db.commit()
    before = _written(db)
    assert _post(client, field["household"]).status_code == 403
    assert _written(db) == before


def test_a_plain_visit_the_service_refuses_answers_with_the_forms_message(client, login, db, field):
    login(field["member"])
    before = _written(db)
    answer = _post(client, field["household"], next_date=(local_today() - timedelta(days=1)).isoformat())
    assert answer.status_code == 422
    assert "Ngày hẹn thăm lại không được ở quá khứ" in answer.get_data(as_text=True)
    assert "Hẹn chiều mai" in answer.get_data(as_text=True)  # what was typed is kept
    assert _written(db) == before


def test_a_blank_sent_for_a_reason_is_refused_not_a_server_error(client, login, db, field):
    """It was read as "no reason chosen" by the form's Optional() and then failed as a RefusalReason: a 500."""
    login(field["member"])
    before = _written(db)
    answer = _post(client, field["household"], outcome="refused", reason=" ")
    assert answer.status_code == 422, answer.status_code
    assert "Hãy chọn một mục trong danh sách." in answer.get_data(as_text=True)  # in Vietnamese, as every choice
    assert _written(db) == before


def test_a_household_of_another_village_stays_out_of_reach_even_if_assigned_to_the_member(client, login, db, field):
    """The one statement keeps the village scope of get_household_for_user: a household of another village that
    (by a data mistake) names this member as holder is still not theirs to log: 404, nothing written."""
    held = db.exec(select(Assignment).where(Assignment.household_id == field["household"].id,
                                            Assignment.valid_to.is_(None))).one()
    stranger_member = db.exec(select(CommitteeMember).where(CommitteeMember.user_id == field["stranger"].id)).one()
    held.member_id = stranger_member.id
    db.add(held)
    db.commit()
    login(field["stranger"])
    before = _written(db)
    assert _post(client, field["household"]).status_code == 404
    assert _written(db) == before
