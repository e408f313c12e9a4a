"""Members' logins: the official gives one (phone + one-time password, shown once) or takes it away."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from fieldwork.models import Assignment, AuditEvent, CommitteeMember, Role, User, utcnow

OTP = re.compile(r'id="one-time-password">([^<]+)<')


@pytest.fixture
def setup(make_village, make_committee, make_user):
    village = make_village(name="Thôn Đồng Bông")
    committee, members = make_committee(village)
    official = make_user(Role.OFFICIAL)
    return {"village": village, "members": members, "official": official}


def _url(setup, member, tail=""):
    return f"/thon/{setup['village'].id}/ban/thanh-vien/{member.id}/tai-khoan{tail}"


def _first_sign_in(app, member, password):
    """A phone signed in with the password the official handed over, which the member then replaces."""
    phone = app.test_client()
    phone.post_form("/dang-nhap", {"phone": member.phone, "password": password})
    mine = "Ruong-lua-Dong-Bong"
    assert phone.post_form("/doi-mat-khau", {"current_password": password, "new_password": mine,
                                             "confirm": mine}).status_code == 302
    return phone


def _grant(client, setup, member) -> str:
    response = client.post_form(_url(setup, member))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return OTP.search(response.get_data(as_text=True)).group(1)


def _count(db, model, *where):
    return db.exec(select(func.count(model.id)).where(*where)).one()


def test_official_gives_a_login_and_the_member_signs_in_with_it(app, client, login, db, setup):
    login(setup["official"])
    member = setup["members"][2]
    response = client.post_form(_url(setup, member))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mật khẩu chỉ hiện một lần" in body and member.phone in body
    password = OTP.search(body).group(1)
    assert len(password) == 10

    db.refresh(member)
    user = db.get(User, member.user_id)
    assert user.role == Role.MEMBER and user.phone == member.phone and user.active
    assert user.village_id == setup["village"].id and user.commune_id == setup["village"].commune_id
    assert password not in str(db.exec(select(AuditEvent.after)).all())
    assert _count(db, AuditEvent, AuditEvent.action == "grant_login", AuditEvent.entity_id == member.id) == 1

    # The password is not shown again anywhere.
    assert password not in client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    assert password not in client.get(_url(setup, member).replace("tai-khoan", "sua")).get_data(as_text=True)

    phone = app.test_client()
    signed_in = phone.post_form("/dang-nhap", {"phone": member.phone, "password": password})
    # The official has seen this password: the member must choose their own before anything else.
    assert signed_in.status_code == 302
    assert phone.get("/").headers["Location"] == "/doi-mat-khau"
    changed = phone.post_form("/doi-mat-khau", {"current_password": password, "new_password": "Ruong-lua-Dong-Bong",
                                                "confirm": "Ruong-lua-Dong-Bong"})
    assert changed.status_code == 302
    assert "Việc của tôi" in phone.get("/").get_data(as_text=True)
    db.expire_all()
    assert not db.get(User, member.user_id).must_change_password


def test_village_page_shows_who_has_a_login(client, login, setup):
    login(setup["official"])
    _grant(client, setup, setup["members"][2])
    body = client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    assert body.count("Có tài khoản") == 1 and body.count("Chưa có tài khoản") == 4


@pytest.mark.parametrize("phone, message", [
    (None, "Cần số điện thoại đúng của thành viên (10 chữ số, bắt đầu bằng 0)"),
    ("12345", "Cần số điện thoại đúng của thành viên (10 chữ số, bắt đầu bằng 0)"),
    ("official", "đã được dùng để đăng nhập cho một tài khoản khác"),
])
def test_login_needs_a_valid_phone_of_their_own(client, login, db, setup, phone, message):
    member = setup["members"][2]
    member.phone = setup["official"].phone if phone == "official" else phone
    db.add(member)
    db.commit()
    login(setup["official"])
    before = _count(db, User)
    response = client.post_form(_url(setup, member))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(db, User) == before
    db.refresh(member)
    assert member.user_id is None


def test_a_member_with_a_login_is_not_given_a_second_one(client, login, db, setup):
    login(setup["official"])
    member = setup["members"][2]
    _grant(client, setup, member)
    response = client.post_form(_url(setup, member))
    assert response.status_code == 422
    assert "đã có tài khoản đăng nhập" in response.get_data(as_text=True)
    assert _count(db, User, User.phone == member.phone) == 1


def test_taking_the_login_away_ends_the_members_session(app, client, login, db, setup):
    login(setup["official"])
    member = setup["members"][2]
    password = _grant(client, setup, member)
    phone = _first_sign_in(app, member, password)
    assert phone.get("/").status_code == 200

    response = client.post_form(_url(setup, member, "/thu-hoi"))
    assert response.status_code == 302
    assert "Đã thu hồi tài khoản" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.refresh(member)
    user = db.get(User, member.user_id)
    assert not user.active
    assert _count(db, AuditEvent, AuditEvent.action == "revoke_login", AuditEvent.entity_id == user.id) == 1

    assert phone.get("/").status_code == 302  # the cookie it holds no longer works
    again = app.test_client()
    assert again.post_form("/dang-nhap", {"phone": member.phone, "password": password}).status_code == 401


def test_a_login_given_back_is_the_same_account_with_a_new_password(app, client, login, db, setup):
    login(setup["official"])
    member = setup["members"][2]
    first = _grant(client, setup, member)
    client.post_form(_url(setup, member, "/thu-hoi"))
    second = _grant(client, setup, member)
    assert second != first
    assert _count(db, User, User.phone == member.phone) == 1
    phone = app.test_client()
    assert phone.post_form("/dang-nhap", {"phone": member.phone, "password": first}).status_code == 401
    assert phone.post_form("/dang-nhap", {"phone": member.phone, "password": second}).status_code == 302


def test_revoking_when_there_is_no_login_says_so(client, login, db, setup):
    login(setup["official"])
    response = client.post_form(_url(setup, setup["members"][2], "/thu-hoi"))
    assert response.status_code == 422
    assert "không có tài khoản đang hoạt động" in response.get_data(as_text=True)


def test_leaving_the_committee_deactivates_the_login(app, client, login, db, setup, make_household):
    login(setup["official"])
    member = setup["members"][2]
    household = make_household(setup["village"], assigned_to=member, people=1)
    password = _grant(client, setup, member)
    phone = _first_sign_in(app, member, password)
    assert phone.get("/").status_code == 200

    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{member.id}/roi-ban",
                                {"left_on": "2026-11-01"})
    assert response.status_code == 302
    db.refresh(member)
    user = db.get(User, member.user_id)
    assert member.left_on == date(2026, 11, 1) and not user.active
    assert phone.get("/").status_code == 302
    # The household stays with the departed member until a handover (a later issue); the page warns.
    body = client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    assert "vẫn đang phụ trách 1 hộ" in body
    assignment = db.exec(select(Assignment).where(Assignment.household_id == household.id)).one()
    assert assignment.member_id == member.id and assignment.valid_to is None


def test_a_departed_member_is_not_given_a_login(client, login, db, setup):
    member = setup["members"][2]
    member.left_on = date(2026, 1, 1)
    db.add(member)
    db.commit()
    login(setup["official"])
    response = client.post_form(_url(setup, member))
    assert response.status_code == 422
    assert "đã rời ban ngày 01/01/2026" in response.get_data(as_text=True)
    assert _count(db, User, User.phone == member.phone) == 0


def test_someone_who_rejoins_gets_their_old_login_back(app, client, login, db, setup):
    login(setup["official"])
    member = setup["members"][2]
    first = _grant(client, setup, member)
    client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{member.id}/roi-ban", {"left_on": "2026-06-01"})
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/moi", {
        "full_name": member.full_name, "phone": member.phone, "organisation": "farmers", "joined_on": "2026-09-01"})
    assert response.status_code == 302
    db.expire_all()
    rejoined = db.exec(select(CommitteeMember).where(CommitteeMember.phone == member.phone,
                                                     CommitteeMember.left_on.is_(None))).one()
    second = _grant(client, setup, rejoined)
    db.expire_all()
    user = db.exec(select(User).where(User.phone == member.phone)).one()  # still one account
    assert user.active and db.get(CommitteeMember, rejoined.id).user_id == user.id
    assert db.get(CommitteeMember, member.id).user_id is None
    phone = app.test_client()
    assert phone.post_form("/dang-nhap", {"phone": member.phone, "password": first}).status_code == 401
    assert phone.post_form("/dang-nhap", {"phone": member.phone, "password": second}).status_code == 302


def test_an_unused_first_password_expires_after_a_week(app, client, login, db, setup):
    login(setup["official"])
    member = setup["members"][2]
    password = _grant(client, setup, member)
    db.refresh(member)
    user = db.get(User, member.user_id)
    assert user.must_change_password
    user.password_changed_at = utcnow() - timedelta(days=7, minutes=1)
    db.add(user)
    db.commit()
    response = app.test_client().post_form("/dang-nhap", {"phone": member.phone, "password": password})
    assert response.status_code == 401
    assert "Mật khẩu cán bộ xã cấp đã hết hạn vì quá 7 ngày" in response.get_data(as_text=True)
