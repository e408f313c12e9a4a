"""The health check (GET /suc-khoe) and the query-count debug header (COUNT_QUERIES) used by bench/load.py."""

from __future__ import annotations

import re

from sqlalchemy import event

from fieldwork import create_app
from fieldwork.db import get_engine
from fieldwork.models import Role

from .conftest import PASSWORD, Client


def _statements(app) -> list[str]:
    """Every SQL statement the app's engine runs from now on, recorded independently of the app's own counter."""
    seen: list[str] = []
    event.listen(get_engine(app), "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_health_check_answers_ok_without_database_or_session(app, client):
    seen = _statements(app)
    response = client.get("/suc-khoe")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"
    assert "no-store" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers  # no session started for a monitor
    assert seen == []
    assert "X-Query-Count" not in response.headers  # the debug header is off by default


def test_health_check_answers_a_signed_in_user_too(client, make_user, login):
    user = make_user(Role.OFFICIAL)
    assert login(user).status_code == 302
    response = client.get("/suc-khoe")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


def test_query_count_header_counts_the_requests_statements(app, database_url, tmp_path, make_user):
    user = make_user(Role.OFFICIAL)
    counting = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "c"),
                           "SECRET_KEY": "count-test", "COUNT_QUERIES": True})
    counting.test_client_class = Client
    client = counting.test_client()
    try:
        assert client.post_form("/dang-nhap", {"phone": user.phone, "password": PASSWORD}).status_code == 302
        seen = _statements(counting)
        response = client.get("/")
        assert response.status_code == 200
        assert int(response.headers["X-Query-Count"]) == len(seen) > 0
        seen.clear()
        health = counting.test_client().get("/suc-khoe")  # as a monitor asks: no cookie, no user to load
        assert health.headers["X-Query-Count"] == "0" and seen == []
    finally:
        get_engine(counting).dispose()
