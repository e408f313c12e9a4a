"""Every user can change their own password: the current one first, the rules explained, other devices signed out."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldwork.models import AuditEvent, Role, User
from tests.conftest import PASSWORD

NEW = "ruộng lúa nhà bác Tư"
URL = "/doi-mat-khau"


@pytest.fixture
def official(make_user):
    return make_user(Role.OFFICIAL, name="Lê Văn Tâm")


def _change(client, current=PASSWORD, new=NEW, confirm=None, **extra):
    return client.post_form(URL, {"current_password": current, "new_password": new,
                                  "confirm": new if confirm is None else confirm, **extra})


def test_the_header_links_to_the_change_password_page(client, login, official):
    login(official)
    assert f'href="{URL}"' in client.get("/").get_data(as_text=True)
    page = client.get(URL).get_data(as_text=True)
    # Masked, and left to the browser's password manager (nothing blocks pasting: no script on the page).
    assert page.count('type="password"') == 3
    assert 'autocomplete="current-password"' in page and page.count('autocomplete="new-password"') == 2


def test_changing_the_password_signs_out_other_devices_and_keeps_this_one(app, client, login, db, official):
    login(official)
    other = app.test_client()
    other.post_form("/dang-nhap", {"phone": official.phone, "password": PASSWORD})
    assert other.get("/").status_code == 200

    response = _change(client, next="/thon")
    assert response.status_code == 302 and response.headers["Location"] == "/thon"
    assert "Đã đổi mật khẩu" in client.get("/thon").get_data(as_text=True)  # this device stays in
    assert other.get("/").status_code == 302  # the other one is out

    db.expire_all()
    user = db.get(User, official.id)
    assert not user.must_change_password and user.password_changed_at is not None
    fresh = app.test_client()
    assert fresh.post_form("/dang-nhap", {"phone": official.phone, "password": PASSWORD}).status_code == 401
    assert fresh.post_form("/dang-nhap", {"phone": official.phone, "password": NEW}).status_code == 302
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "change_password")).one()
    assert audit.user_id == official.id and NEW not in str(audit.after) and PASSWORD not in str(audit.after)


@pytest.mark.parametrize("current, new, confirm, field, message", [
    ("sai-mat-khau-roi", NEW, None, "current_password", "Mật khẩu hiện tại không đúng"),
    ("", NEW, None, "current_password", "Hãy nhập mật khẩu hiện tại"),
    (PASSWORD, "ngan", None, "new_password", "ít nhất 8 ký tự"),
    (PASSWORD, "matkhau123", None, "new_password", "quá phổ biến"),
    (PASSWORD, "levantam", None, "new_password", "Không dùng họ tên"),
    (PASSWORD, PASSWORD, None, "new_password", "phải khác mật khẩu hiện tại"),
    (PASSWORD, NEW, NEW + "!", "confirm", "không giống nhau"),
])
def test_a_refused_change_says_why_and_changes_nothing(client, login, db, official, current, new, confirm, field,
                                                       message):
    login(official)
    before = db.get(User, official.id).password_hash
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and f'id="{field}-error"' in body
    assert NEW not in body and PASSWORD not in body  # passwords are never echoed back
    db.expire_all()
    assert db.get(User, official.id).password_hash == before
    assert client.get("/").status_code == 200  # still signed in


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next=")
