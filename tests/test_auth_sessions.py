"""How long a login lasts: idle and absolute lifetimes by role, the cookie's flags, "remember me"."""

from __future__ import annotations

import pytest

from fieldwork.auth.sessions import SEEN_AT, SIGNED_IN_AT
from fieldwork.models import Role

MINUTE, HOUR, DAY = 60, 3600, 24 * 3600


@pytest.fixture
def member(make_village, make_committee, make_user):
    village = make_village()
    _, members = make_committee(village)
    return make_user(Role.MEMBER, village=village, member=members[1])


@pytest.fixture
def official(make_user):
    return make_user(Role.OFFICIAL)


def _age(client, *, idle: int = 0, since_sign_in: int = 0) -> None:
    """Move the session's clock back, as if that much time had passed."""
    with client.session_transaction() as session:
        session[SEEN_AT] -= idle
        session[SIGNED_IN_AT] -= max(idle, since_sign_in)


def _signed_out(client, page: str = "/") -> bool:
    response = client.get(page)
    return response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")


@pytest.mark.parametrize("role, idle_ok, idle_too_long", [
    ("member", 3 * DAY - HOUR, 3 * DAY + MINUTE),
    ("official", 2 * HOUR - MINUTE, 2 * HOUR + MINUTE),
])
def test_a_login_ends_after_its_idle_time(client, login, request, role, idle_ok, idle_too_long):
    login(request.getfixturevalue(role))
    _age(client, idle=idle_ok)
    assert client.get("/").status_code == 200  # still in, and the clock starts again
    _age(client, idle=idle_too_long)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/dang-nhap?next=%2F"
    assert "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại" in client.get("/dang-nhap").get_data(as_text=True)


@pytest.mark.parametrize("role, absolute", [("member", 30 * DAY), ("official", 12 * HOUR)])
def test_a_login_ends_after_its_absolute_time_even_in_use(client, login, request, role, absolute):
    login(request.getfixturevalue(role))
    _age(client, since_sign_in=absolute - MINUTE)
    assert client.get("/").status_code == 200
    _age(client, since_sign_in=2 * MINUTE)
    assert _signed_out(client)


def test_the_phones_background_refresh_does_not_keep_a_login_alive(client, login, member):
    login(member)
    _age(client, idle=3 * DAY - 10 * MINUTE)
    assert client.get("/", headers={"X-Fieldwork-Prefetch": "1"}).status_code == 200
    _age(client, idle=11 * MINUTE)
    assert _signed_out(client)


def test_lifetimes_are_configuration(app, client, login, official):
    app.config["SESSION_IDLE_MINUTES_STAFF"] = 10
    login(official)
    _age(client, idle=11 * MINUTE)
    assert _signed_out(client)


def test_the_offline_queue_is_told_it_is_signed_out(client, login, member):
    login(member)
    _age(client, idle=4 * DAY)
    response = client.get("/dong-bo/phien", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json == {"error": "signed_out"}


def test_session_cookie_is_httponly_lax_and_ends_with_the_browser_by_default(client, login, member):
    page = client.get("/dang-nhap").get_data(as_text=True)
    assert 'name="remember" type="checkbox" value="y"' in page and "checked" not in page.split('name="remember"')[1][:40]
    response = login(member)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # a browser-session cookie: closing the browser signs out
    assert "remember_token" not in str(response.headers)


def test_remember_me_keeps_the_cookie_after_the_browser_closes_within_the_lifetimes(client, login, member):
    cookie = login(member, remember="y").headers["Set-Cookie"]
    assert "Expires" in cookie
    assert "remember_token" not in cookie
    _age(client, idle=3 * DAY + MINUTE)
    assert _signed_out(client)


def test_a_fresh_session_at_sign_in(app, client, login, member):
    client.get("/dang-nhap")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(member)
    with client.session_transaction() as session:
        assert "planted" not in session
