"""Signing in and out: one generic message, inactive users, replayed cookies, CSRF, safe redirects."""

from __future__ import annotations

import pytest

from fieldwork.models import Role
from tests.conftest import PASSWORD

GENERIC = "Số điện thoại hoặc mật khẩu không đúng"


@pytest.fixture
def member(make_village, make_committee, make_user):
    village = make_village()
    _, members = make_committee(village)
    return make_user(Role.MEMBER, village=village, member=members[1], name="Trần Thị Hương")


def test_member_signs_in_and_lands_on_their_home(client, login, member):
    response = login(member)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Việc của tôi" in page
    assert "Trần Thị Hương" in page


def test_phone_is_accepted_as_people_type_it(client, login, member):
    spaced = f"+84 {member.phone[1:4]} {member.phone[4:7]} {member.phone[7:]}"
    assert login(spaced).status_code == 302


def test_wrong_password_and_unknown_phone_get_the_same_generic_message(client, login, member):
    wrong_password = login(member, password="sai-mat-khau")
    unknown_phone = login("0999999999")
    for response in (wrong_password, unknown_phone):
        assert response.status_code == 401
        body = response.get_data(as_text=True)
        assert body.count(GENERIC) == 1
    # What the user typed is kept (the phone), the password is not echoed back.
    assert f'value="{member.phone}"' in wrong_password.get_data(as_text=True)
    assert "sai-mat-khau" not in wrong_password.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_empty_form_says_what_to_type_and_answers_422(client):
    response = client.post_form("/dang-nhap", {"phone": "", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Hãy nhập số điện thoại" in body and "Hãy nhập mật khẩu" in body


def test_inactive_user_cannot_sign_in(client, login, make_user):
    user = make_user(Role.OFFICIAL, active=False)
    response = login(user)
    assert response.status_code == 401
    assert GENERIC in response.get_data(as_text=True)


def test_deactivating_a_signed_in_user_ends_their_session(client, login, make_user, db):
    user = make_user(Role.OFFICIAL)
    login(user)
    assert client.get("/").status_code == 200
    user.active = False
    db.add(user)
    db.commit()
    assert client.get("/").status_code == 302


def test_cookie_copied_before_logout_stops_working(app, client, login, member):
    login(member)
    assert client.get("/").status_code == 200
    stolen = client.get_cookie("session").value
    assert client.post_form("/dang-xuat").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302
    assert "/dang-nhap" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(client, member):
    response = client.post("/dang-nhap", data={"phone": member.phone, "password": PASSWORD})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_htmx_post_carries_csrf_in_a_header(client, login, member):
    login(member)
    token = client.csrf_token()
    without = client.post("/dang-xuat", headers={"HX-Request": "true"})
    assert without.status_code == 400
    with_header = client.post("/dang-xuat", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert with_header.status_code == 302


@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ho/1", "/ho/1"),
    ],
)
def test_next_only_redirects_inside_the_app(client, login, member, next_url, expected):
    response = login(member, next=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_language_switch_to_english_and_back(client, login, member):
    login(member)
    client.post_form("/ngon-ngu", {"lang": "en", "next": "/"})
    assert "My work" in client.get("/").get_data(as_text=True)
    client.post_form("/ngon-ngu", {"lang": "vi", "next": "/"})
    assert "Việc của tôi" in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/ho/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dang-nhap?next=")
