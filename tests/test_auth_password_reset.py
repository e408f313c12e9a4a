"""A member forgot their password: the official gives a new one-time password, shown once; the member must replace
it at their next sign-in before doing anything else, and it stops working after a week unused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from fieldwork.models import AuditEvent, Role, User, utcnow
from tests.conftest import PASSWORD

OTP = re.compile(r'id="one-time-password">([^<]+)<')
OWN = "vườn nhãn sau nhà"


@pytest.fixture
def setup(make_village, make_committee, make_user):
    village = make_village()
    _, members = make_committee(village)
    member = members[2]
    user = make_user(Role.MEMBER, village=village, member=member, phone=member.phone)
    return {"village": village, "member": member, "user": user, "official": make_user(Role.OFFICIAL)}


def _url(setup, tail="/mat-khau-moi"):
    return f"/thon/{setup['village'].id}/ban/thanh-vien/{setup['member'].id}/tai-khoan{tail}"


def _reset(client, login, setup) -> str:
    login(setup["official"])
    response = client.post_form(_url(setup))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "Đã cấp mật khẩu mới cho" in body and "Mật khẩu chỉ hiện một lần" in body
    return OTP.search(body).group(1)


def test_the_member_page_offers_a_new_password(client, login, setup):
    login(setup["official"])
    page = client.get(_url(setup, "").replace("tai-khoan", "sua")).get_data(as_text=True)
    assert _url(setup) in page and "Cấp mật khẩu mới" in page


def test_a_reset_ends_the_members_sessions_and_the_old_password(app, client, login, db, setup):
    phone = app.test_client()
    phone.post_form("/dang-nhap", {"phone": setup["user"].phone, "password": PASSWORD})
    assert phone.get("/").status_code == 200

    password = _reset(client, login, setup)
    assert phone.get("/").status_code == 302  # the member's phone is signed out
    fresh = app.test_client()
    assert fresh.post_form("/dang-nhap", {"phone": setup["user"].phone, "password": PASSWORD}).status_code == 401
    db.expire_all()
    user = db.get(User, setup["user"].id)
    assert user.must_change_password
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "reset_password")).one()
    assert audit.user_id == setup["official"].id and audit.entity_id == user.id
    assert password not in str(audit.after) and password not in str(audit.before)
    # Shown once: not on the member's page afterwards.
    assert password not in client.get(_url(setup, "").replace("tai-khoan", "sua")).get_data(as_text=True)


def test_the_member_must_choose_their_own_password_before_anything_else(app, client, login, db, setup):
    password = _reset(client, login, setup)
    phone = app.test_client()
    response = phone.post_form("/dang-nhap", {"phone": setup["user"].phone, "password": password, "next": "/tien-do"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/doi-mat-khau?next=")
    page = phone.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hãy đặt mật khẩu mới của riêng bạn" in page

    for url in ("/", "/tien-do", f"/thon/{setup['village'].id}/ho"):
        blocked = phone.get(url)
        assert blocked.status_code == 302 and blocked.headers["Location"] == "/doi-mat-khau"
    htmx = phone.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/doi-mat-khau"
    queue = phone.get("/dong-bo/phien", headers={"Accept": "application/json"})
    assert queue.status_code == 401 and queue.json == {"error": "password_change_required"}
    assert phone.get("/sw.js").status_code == 200  # the app shell still loads

    # The one-time password cannot become the member's password.
    same = phone.post_form("/doi-mat-khau", {"current_password": password, "new_password": password,
                                             "confirm": password})
    assert same.status_code == 422 and "phải khác mật khẩu hiện tại" in same.get_data(as_text=True)
    done = phone.post_form("/doi-mat-khau", {"current_password": password, "new_password": OWN, "confirm": OWN,
                                             "next": "/tien-do"})
    assert done.status_code == 302 and done.headers["Location"] == "/tien-do"
    assert phone.get("/").status_code == 200
    db.expire_all()
    assert not db.get(User, setup["user"].id).must_change_password


def test_an_unused_one_time_password_expires_after_a_week(app, client, login, db, setup):
    password = _reset(client, login, setup)
    user = db.get(User, setup["user"].id)
    user.password_changed_at = utcnow() - timedelta(days=7, minutes=1)
    db.add(user)
    db.commit()
    response = app.test_client().post_form("/dang-nhap", {"phone": user.phone, "password": password})
    assert response.status_code == 401
    assert "Mật khẩu cán bộ xã cấp đã hết hạn vì quá 7 ngày" in response.get_data(as_text=True)


def test_no_reset_without_an_active_login(client, login, db, setup, make_committee):
    setup["user"].active = False
    db.add(setup["user"])
    db.commit()
    login(setup["official"])
    response = client.post_form(_url(setup))
    assert response.status_code == 422
    assert "chưa có tài khoản đang hoạt động; hãy bấm “Cấp tài khoản”" in response.get_data(as_text=True)


def test_only_officials_of_the_commune_reset_passwords(client, login, setup, make_user, make_committee):
    login(setup["user"])
    assert client.post_form(_url(setup)).status_code == 403
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert client.post_form(_url(setup)).status_code == 404
