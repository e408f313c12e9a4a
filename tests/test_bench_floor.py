"""The floor endpoints of the load benchmark (bench/floor.py): the visit POST's request with nothing written.

They are a floor only if they pay what the visit POST pays before its own work (signed in, CSRF token checked, the
same answer) and write nothing; and they must exist only in the benchmark's server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import func, select

from bench import floor
from bench.load import FLOOR_PATHS
from fieldwork.models import AuditEvent, FollowUp, Visit
from fieldwork.text import local_today


@pytest.fixture
def field(app, held_household):
    app.register_blueprint(floor.bp)
    return held_household


def _body(**extra) -> dict:
    return {"uuid": str(uuid.uuid4()), "outcome": "considering", "channel": "home",
            "next_date": (local_today() + timedelta(days=7)).isoformat(), "notes": "Hẹn chiều mai", **extra}


def _written(db) -> tuple[int, int, int]:
    return tuple(db.exec(select(func.count()).select_from(table)).one() for table in (Visit, FollowUp, AuditEvent))


def test_the_app_production_serves_has_no_floor_route(app):
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_san")]


@pytest.mark.parametrize("name", list(FLOOR_PATHS))
def test_a_floor_post_answers_as_the_visit_post_and_writes_nothing(client, login, db, field, name):
    login(field["member"])
    before = _written(db)
    answer = client.post_form(FLOOR_PATHS[name].format(household=field["household"].id), _body())
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    assert "Đã ghi nhận: Đang cân nhắc" in client.get("/").get_data(as_text=True)
    assert _written(db) == before


@pytest.mark.parametrize("name", list(FLOOR_PATHS))
def test_a_floor_post_checks_the_csrf_token_and_the_sign_in(client, login, field, name):
    path = FLOOR_PATHS[name].format(household=field["household"].id)
    assert client.post(path, data=_body()).status_code == 400  # no token (CSRFProtect, before the view)
    login(field["member"])
    assert client.post(path, data=_body()).status_code == 400
    client.post_form("/dang-xuat", {})
    answer = client.post_form(path, _body())
    assert answer.status_code == 302 and "/dang-nhap" in answer.headers["Location"]


@pytest.mark.parametrize("who", ["colleague", "stranger"])
def test_the_floor_with_scope_reads_the_household_as_the_visit_post_does(client, login, db, field, who):
    login(field[who])
    path = FLOOR_PATHS["POST floor + scope"].format(household=field["household"].id)
    assert client.post_form(path, _body()).status_code == 404
    assert client.post_form(path, _body(outcome="maybe")).status_code == 404  # not a plain submission
