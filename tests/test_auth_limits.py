"""Password guessing is limited per account and per address; good sign-ins never count; the wait is explained."""

from __future__ import annotations

import secrets

import pytest

from fieldwork import create_app
from fieldwork.db import get_engine
from fieldwork.extensions import limiter
from fieldwork.models import Role
from tests.conftest import PASSWORD, Client

WRONG = "sai-mat-khau-roi"


@pytest.fixture
def strict(app):
    """Low limits, so a test reaches them in a few requests (the real ones are in fieldwork/config.py)."""
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="5 per 15 minutes")
    return app


def _sign_in(client, phone, password, address="10.0.0.1", **headers):
    return client.post_form("/dang-nhap", {"phone": phone, "password": password},
                            environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_the_limits_are_on_by_default(app):
    assert app.config["RATELIMIT_ENABLED"]
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "10 per 15 minutes; 50 per day"


def test_an_account_is_locked_for_a_while_after_wrong_passwords(strict, client, make_user):
    user, other = make_user(Role.OFFICIAL), make_user(Role.OFFICIAL)
    for _ in range(3):
        assert _sign_in(client, user.phone, WRONG).status_code == 401
    # Even the right password now waits: a guesser learns nothing from the 4th try.
    response = _sign_in(client, user.phone, PASSWORD, address="10.0.0.2")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    body = response.get_data(as_text=True)
    assert "Đã nhập sai mật khẩu quá nhiều lần. Hãy chờ 15 phút rồi thử lại" in body
    assert f'value="{user.phone}"' in body and PASSWORD not in body  # what was typed is kept, not the password
    # The phone as typed differently is the same account.
    spaced = f"+84 {user.phone[1:4]} {user.phone[4:7]} {user.phone[7:]}"
    assert _sign_in(client, spaced, PASSWORD, address="10.0.0.3").status_code == 429
    # Other accounts are not affected.
    assert _sign_in(client, other.phone, PASSWORD).status_code == 302


def test_unknown_numbers_are_limited_the_same_way(strict, client):
    for _ in range(3):
        assert _sign_in(client, "0999999999", WRONG).status_code == 401
    assert _sign_in(client, "0999999999", WRONG).status_code == 429


def test_one_address_guessing_many_accounts_is_stopped(strict, client, make_user):
    users = [make_user(Role.MEMBER) for _ in range(6)]
    for user in users[:5]:
        assert _sign_in(client, user.phone, WRONG, address="10.9.9.9").status_code == 401
    assert _sign_in(client, users[5].phone, PASSWORD, address="10.9.9.9").status_code == 429
    assert _sign_in(client, users[5].phone, PASSWORD, address="10.9.9.10").status_code == 302


def test_good_sign_ins_never_count(strict, app, make_user):
    """A commune behind one carrier address: many members sign in from it all day."""
    user = make_user(Role.MEMBER)
    for _ in range(12):
        assert _sign_in(app.test_client(), user.phone, PASSWORD, address="10.1.1.1").status_code == 302


def test_a_forged_forwarded_address_does_not_escape_the_limit(strict, client, make_user):
    users = [make_user(Role.MEMBER) for _ in range(6)]
    for n, user in enumerate(users[:5]):
        _sign_in(client, user.phone, WRONG, address="10.9.9.9", **{"X-Forwarded-For": f"203.0.113.{n}"})
    response = _sign_in(client, users[5].phone, PASSWORD, address="10.9.9.9", **{"X-Forwarded-For": "203.0.113.99"})
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(database_url, tmp_path, make_user):
    users = [make_user(Role.MEMBER) for _ in range(6)]
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"),
                      "SECRET_KEY": "proxy-test", "TRUSTED_PROXIES": 1, "LOGIN_LIMIT_PER_ADDRESS": "5 per 15 minutes"})
    app.test_client_class = Client
    try:
        client = app.test_client()
        for user in users[:5]:
            _sign_in(client, user.phone, WRONG, address="10.0.0.254", **{"X-Forwarded-For": "203.0.113.7"})
        blocked = _sign_in(client, users[5].phone, PASSWORD, address="10.0.0.254", **{"X-Forwarded-For": "203.0.113.7"})
        other = _sign_in(client, users[5].phone, PASSWORD, address="10.0.0.254", **{"X-Forwarded-For": "203.0.113.8"})
        assert (blocked.status_code, other.status_code) == (429, 302)
    finally:
        get_engine(app).dispose()


def test_wrong_current_passwords_on_the_change_page_count_against_the_account(strict, client, login, make_user):
    user = make_user(Role.OFFICIAL)
    login(user)
    for _ in range(3):
        response = client.post_form("/doi-mat-khau", {"current_password": WRONG, "new_password": "vườn nhãn sau nhà",
                                                      "confirm": "vườn nhãn sau nhà"})
        assert response.status_code == 422
    response = client.post_form("/doi-mat-khau", {"current_password": PASSWORD, "new_password": "vườn nhãn sau nhà",
                                                  "confirm": "vườn nhãn sau nhà"})
    assert response.status_code == 429
    assert "Đã nhập sai mật khẩu quá nhiều lần" in response.get_data(as_text=True)
    # And signing in again with that account waits too.
    assert _sign_in(client.application.test_client(), user.phone, PASSWORD).status_code == 429


def _redis_url() -> str:
    url = "redis://127.0.0.1:6379/15"
    import redis  # in the test extras; this machine and CI run a Redis server on 127.0.0.1:6379

    assert redis.Redis.from_url(url, socket_connect_timeout=1).ping(), "start Redis on 127.0.0.1:6379"
    return url


def test_counts_can_live_in_redis_shared_by_every_process(database_url, tmp_path, make_user):
    url = _redis_url()
    user = make_user(Role.OFFICIAL)
    config = {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "redis-test",
              "RATELIMIT_STORAGE_URI": url, "LOGIN_LIMIT_PER_ACCOUNT": "2 per 15 minutes"}
    first = create_app({**config, "INSTANCE_PATH": str(tmp_path / "a")})
    address = f"10.{secrets.randbelow(200)}.{secrets.randbelow(200)}.{secrets.randbelow(200)}"
    first.test_client_class = Client
    try:
        limiter.reset()
        for _ in range(2):
            assert _sign_in(first.test_client(), user.phone, WRONG, address=address).status_code == 401
        # A second worker process (a new app on the same Redis) sees the same counts.
        second = create_app({**config, "INSTANCE_PATH": str(tmp_path / "b")})
        second.test_client_class = Client
        assert _sign_in(second.test_client(), user.phone, PASSWORD, address=address).status_code == 429
        get_engine(second).dispose()
    finally:
        limiter.reset()
        get_engine(first).dispose()
