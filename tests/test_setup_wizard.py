"""First-run set-up: the first admin from the command line, then the wizard from an empty installation to members'
login slips whose passwords really open the app."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlmodel import func, select

from fieldwork.auth.services import authenticate
from fieldwork.models import (
    Assignment,
    AuditEvent,
    Committee,
    CommitteeMember,
    Commune,
    Province,
    Role,
    User,
    Village,
    VillageKind,
)
from tests.conftest import PASSWORD

OTP = re.compile(r'id="one-time-password">([^<]+)<')
GOOD_PASSWORD = "nha toi o cuoi thon Dong Bong"
TAM_TIEN = "07264"  # Xã Tam Tiến, Tỉnh Bắc Ninh


def _count(db, model, *where) -> int:
    return db.exec(select(func.count(model.id)).where(*where)).one()


def _commune(db, code: str = TAM_TIEN) -> Commune:
    return db.exec(select(Commune).where(Commune.code == code)).one()


def _other_province_commune(db, commune: Commune) -> Commune:
    return db.exec(select(Commune).where(Commune.province_id != commune.province_id).order_by(Commune.code)).first()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, phone="0912000001", name="Quản Trị Viên")


@pytest.fixture
def set_up(admin, login, client, db):
    """Step 1 done: the installation serves Xã Tam Tiến, whose official is Nguyễn Thị Hoa."""
    login(admin)
    commune = _commune(db)
    response = client.post_form("/cai-dat/tinh-xa", {"province": str(commune.province_id),
                                                     "commune": str(commune.id), "official_name": "Nguyễn Thị Hoa",
                                                     "official_phone": "0912000002"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return commune


# --- the first admin, from the command line ------------------------------------------------------------------------


def _create_admin(runner, *extra, phone="0912345678", name="Nguyễn Văn An", input=None):
    return runner.invoke(args=["user", "create-admin", "--phone", phone, "--name", name, *extra], input=input)


def test_first_admin_is_created_on_an_empty_database(runner, db, app):
    assert _count(db, User) == 0 and _count(db, Commune) > 3000  # after `db upgrade` and `reference load`
    result = _create_admin(runner, "--password-stdin", input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created admin Nguyễn Văn An (0912345678)" in result.output
    user = db.exec(select(User)).one()
    assert user.role == Role.ADMIN and user.commune_id is None and not user.must_change_password
    assert authenticate(db, "0912345678", GOOD_PASSWORD).id == user.id
    assert GOOD_PASSWORD not in user.password_hash


def test_the_password_is_asked_twice_hidden(runner, db):
    result = _create_admin(runner, input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat the password" in result.output and GOOD_PASSWORD not in result.output
    assert authenticate(db, "0912345678", GOOD_PASSWORD) is not None


def test_two_different_passwords_create_nobody(runner, db):
    result = _create_admin(runner, input=f"{GOOD_PASSWORD}\nsomething else entirely\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _count(db, User) == 0


def test_there_is_no_default_password(runner, db):
    """Nothing typed, nothing piped: no account, whatever the command might have fallen back to."""
    assert _create_admin(runner, input="").exit_code != 0
    assert _create_admin(runner, "--password-stdin", input="").exit_code != 0
    assert _count(db, User) == 0


@pytest.mark.parametrize("password, message", [
    ("12345678", "quá phổ biến"),
    ("ngan", "ít nhất 8 ký tự"),
    ("0912345678", "số điện thoại"),
    ("Nguyễn Văn An", "họ tên"),
])
def test_a_weak_password_is_refused(runner, db, password, message):
    result = _create_admin(runner, "--password-stdin", input=password + "\n")
    assert result.exit_code != 0
    assert "Password refused" in result.output and message in result.output
    assert _count(db, User) == 0


def test_a_phone_already_used_is_refused(runner, db, make_user):
    make_user(Role.OFFICIAL, phone="0912345678")
    result = _create_admin(runner, "--password-stdin", input=GOOD_PASSWORD + "\n")
    assert result.exit_code != 0 and "exists already" in result.output
    assert _count(db, User, User.role == Role.ADMIN) == 0


# --- step 1: the commune and its official ---------------------------------------------------------------------------


def test_the_first_admin_is_taken_to_the_setup_and_resumes_where_the_data_stands(client, login, admin, db):
    login(admin)
    assert client.get("/").headers["Location"] == "/cai-dat"
    assert client.get("/cai-dat").headers["Location"] == "/cai-dat/tinh-xa"
    page = client.get("/cai-dat/tinh-xa").get_data(as_text=True)
    assert "Bước 1/5" in page and "Tỉnh Bắc Ninh" in page and "Thiết lập ban đầu" in page


def test_the_commune_list_follows_the_province(client, login, admin, db):
    login(admin)
    commune = _commune(db)
    other = _other_province_commune(db, commune)
    partial = client.get(f"/cai-dat/tinh-xa/xa?province={commune.province_id}", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body
    assert "Xã Tam Tiến" in body and other.name not in body
    assert body.count("<option") == 1 + _count(db, Commune, Commune.province_id == commune.province_id)
    # Without JavaScript: the "see the province's communes" button lists them, and writes nothing.
    page = client.post_form("/cai-dat/tinh-xa", {"province": str(commune.province_id), "chon_tinh": "1",
                                                 "official_name": "Nguyễn Thị Hoa"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Xã Tam Tiến" in text and "Nguyễn Thị Hoa" in text
    assert _count(db, User) == 1


def test_step_one_creates_the_commune_official_with_a_one_time_password(app, client, login, admin, db):
    login(admin)
    commune = _commune(db)
    response = client.post_form("/cai-dat/tinh-xa", {
        "province": str(commune.province_id), "commune": str(commune.id), "official_name": "Nguyễn Thị Hoa",
        "official_phone": "0912 000 002"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = OTP.search(body).group(1)
    official = db.exec(select(User).where(User.role == Role.OFFICIAL)).one()
    assert official.phone == "0912000002" and official.commune_id == commune.id and official.must_change_password
    assert password not in str(db.exec(select(AuditEvent.after)).all())
    assert "Bước 1/5" in body and "Xã Tam Tiến" in body
    # The admin is no longer sent to the set-up; the official signs in and must choose their own password.
    assert client.get("/").status_code == 200
    phone = app.test_client()
    assert phone.post_form("/dang-nhap", {"phone": "0912000002", "password": password}).headers["Location"] \
        .startswith("/doi-mat-khau")
    # Step 1 cannot be done twice.
    again = client.post_form("/cai-dat/tinh-xa", {"province": str(commune.province_id), "commune": str(commune.id),
                                                  "official_name": "Trần Văn Ba", "official_phone": "0912000003"})
    assert again.status_code == 422 and "không chọn lại xã" in again.get_data(as_text=True)
    assert _count(db, User, User.role == Role.OFFICIAL) == 1


@pytest.mark.parametrize("change, message", [
    ({"commune": "other"}, "Hãy chọn một mục trong danh sách."),
    ({"commune": ""}, "Hãy chọn xã, phường, đặc khu trong danh sách"),
    ({"province": "", "commune": ""}, "Hãy chọn tỉnh, thành phố trong danh sách."),
    ({"official_phone": ""}, "Hãy nhập số điện thoại của cán bộ xã"),
    ({"official_phone": "12345"}, "10 chữ số"),
    ({"official_phone": "0912000001"}, "đã là tên đăng nhập của một tài khoản khác"),
    ({"official_name": " "}, "Hãy nhập họ và tên đầy đủ"),
])
def test_step_one_refuses_bad_input_and_keeps_what_was_typed(client, login, admin, db, change, message):
    login(admin)
    commune = _commune(db)
    other = _other_province_commune(db, commune)
    form = {"province": str(commune.province_id), "commune": str(commune.id), "official_name": "Nguyễn Thị Hoa",
            "official_phone": "0912000002"}
    form.update({k: (str(other.id) if v == "other" else v) for k, v in change.items()})
    response = client.post_form("/cai-dat/tinh-xa", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    if form["official_name"].strip():
        assert 'value="Nguyễn Thị Hoa"' in body
    assert _count(db, User) == 1


# --- step 2: villages -------------------------------------------------------------------------------------------


def test_villages_pasted_as_a_list(client, db, set_up):
    pasted = "Thôn Đồng Bông\r\n\r\n   thôn  đồng bông  \r\nXóm Bãi\r\n\tTổ dân phố 3\r\nĐồng Sau\r\n"
    response = client.post_form("/cai-dat/thon", {"names": pasted})
    assert response.status_code == 302
    villages = db.exec(select(Village).where(Village.commune_id == set_up.id).order_by(Village.code)).all()
    assert [(v.code, v.name, v.kind) for v in villages] == [
        ("T01", "Thôn Đồng Bông", VillageKind.THON), ("T02", "Xóm Bãi", VillageKind.XOM),
        ("T03", "Tổ dân phố 3", VillageKind.TO_DAN_PHO), ("T04", "Đồng Sau", VillageKind.THON)]
    page = client.get("/cai-dat/thon").get_data(as_text=True)
    assert "Đã thêm 4 thôn" in page and "Dòng lặp lại đã bỏ qua: thôn đồng bông" in page and "Bước 2/5" in page
    # Pasting again adds nothing and says why; one typed on its own gets the next code.
    assert client.post_form("/cai-dat/thon", {"names": "Thôn Đồng Bông\nThôn Trung"}).status_code == 302
    assert "Đã có từ trước, không thêm lại: Thôn Đồng Bông" in client.get("/cai-dat/thon").get_data(as_text=True)
    assert db.exec(select(Village.code).where(Village.name == "Thôn Trung")).one() == "T05"


@pytest.mark.parametrize("pasted, message", [
    ("Thôn Một\nThôn Hai\n" + "Thôn " + "Dài" * 50 + "\n", "Dòng 3: tên dài 155 ký tự, tối đa 120."),
    ("Thôn Một\nThôn\n", "Dòng 2: “Thôn” thiếu tên riêng của thôn"),
    ("Thôn Một\nThôn \x07Hai\n", "Dòng 2: có ký tự điều khiển"),
    ("  \n\n", "Hãy nhập tên các thôn, mỗi dòng một thôn"),
])
def test_bad_village_lines_are_refused_by_line_and_nothing_is_added(client, db, set_up, pasted, message):
    response = client.post_form("/cai-dat/thon", {"names": pasted})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    if "Một" in pasted:
        assert "Thôn Một\nThôn" in body  # the text is kept to be corrected
    assert _count(db, Village) == 0


def test_later_steps_wait_for_the_commune(client, login, admin):
    login(admin)
    for url in ("/cai-dat/thon", "/cai-dat/ban", "/cai-dat/nhap-ho", "/cai-dat/phieu"):
        assert client.get(url).headers["Location"] == "/cai-dat/tinh-xa"


# --- step 3: committees -------------------------------------------------------------------------------------------


def _villages(client, db, commune, *names) -> list[Village]:
    assert client.post_form("/cai-dat/thon", {"names": "\n".join(names)}).status_code == 302
    return [db.exec(select(Village).where(Village.commune_id == commune.id, Village.name == n)).one() for n in names]


def _member(client, village, name, phone, organisation="front", head=False):
    form = {"full_name": name, "phone": phone, "organisation": organisation}
    if head:
        form["is_head"] = "y"
    return client.post_form(f"/cai-dat/ban/{village.id}", form)


def test_adding_members_founds_the_committee_and_gives_logins(client, db, set_up):
    village, = _villages(client, db, set_up, "Thôn Đồng Bông")
    assert _member(client, village, "Trần Văn Minh", "0913000001", head=True).status_code == 302
    assert _member(client, village, "Lê Thị Lan", "0913000002", "women").status_code == 302
    committee = db.exec(select(Committee).where(Committee.village_id == village.id)).one()
    members = db.exec(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
                      .order_by(CommitteeMember.id)).all()
    assert [(m.full_name, m.is_head, m.organisation.value) for m in members] == [
        ("Trần Văn Minh", True, "front"), ("Lê Thị Lan", False, "women")]
    users = [db.get(User, m.user_id) for m in members]
    assert all(u.role == Role.MEMBER and u.village_id == village.id and u.must_change_password for u in users)
    page = client.get(f"/cai-dat/ban/{village.id}").get_data(as_text=True)
    assert "Bước 3/5" in page and "Lê Thị Lan" in page and page.count("Có tài khoản") == 2
    assert "Bước 3/5" in client.get("/cai-dat/ban").get_data(as_text=True)


@pytest.mark.parametrize("name, phone, message", [
    ("Trần Văn Minh", "", "Hãy nhập số điện thoại của thành viên"),
    ("Trần Văn Minh", "0913", "10 chữ số"),
    ("", "0913000001", "Hãy nhập họ và tên đầy đủ"),
    ("Trần Văn Minh", "0912000002", "đã được dùng để đăng nhập"),  # the commune official's login
])
def test_a_bad_member_writes_nothing_not_even_the_committee(client, db, set_up, name, phone, message):
    village, = _villages(client, db, set_up, "Thôn Đồng Bông")
    users = _count(db, User)
    response = _member(client, village, name, phone)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    if name:
        assert f'value="{name}"' in body
    assert _count(db, Committee) == 0 and _count(db, CommitteeMember) == 0 and _count(db, User) == users


# --- scope -------------------------------------------------------------------------------------------------------


def test_an_official_of_another_commune_cannot_touch_this_communes_setup(app, client, login, db, set_up, make_user):
    village, = _villages(client, db, set_up, "Thôn Khe Sâu")
    _member(client, village, "Trần Văn Minh", "0913000001", head=True)
    other = _other_province_commune(db, set_up)
    stranger = make_user(Role.OFFICIAL, commune_code=other.code, name="Cán Bộ Xã Khác")
    login(stranger)
    assert client.get(f"/cai-dat/ban/{village.id}").status_code == 404
    assert _member(client, village, "Người Lạ", "0913000009").status_code == 404
    assert client.post_form(f"/cai-dat/phieu/{village.id}.pdf").status_code == 404
    assert client.post_form(f"/cai-dat/nhap-ho/{village.id}/chia-deu").status_code == 404
    for url in ("/cai-dat/tinh-xa", "/cai-dat/thon", "/cai-dat/ban", "/cai-dat/nhap-ho", "/cai-dat/phieu"):
        body = client.get(url).get_data(as_text=True)
        assert "Khe Sâu" not in body and "Trần Văn Minh" not in body and "Tam Tiến" not in body, url
    assert other.name in client.get("/cai-dat/tinh-xa").get_data(as_text=True)
    assert _count(db, CommitteeMember) == 1
    member = db.exec(select(User).where(User.phone == "0913000001")).one()
    login(member, PASSWORD)
    assert client.get("/cai-dat/phieu").status_code in (302, 403)


def test_a_member_cannot_use_the_setup(client, login, make_village, make_user):
    member = make_user(Role.MEMBER, village=make_village())
    login(member)
    for url in ("/cai-dat", "/cai-dat/tinh-xa", "/cai-dat/thon", "/cai-dat/phieu"):
        assert client.get(url).status_code == 403


# --- step 4: households ------------------------------------------------------------------------------------------


def test_households_step_links_the_import_and_shares_households(client, db, set_up, make_household):
    village, = _villages(client, db, set_up, "Thôn Đồng Bông")
    page = client.get("/cai-dat/nhap-ho").get_data(as_text=True)
    assert "Bước 4/5" in page and f"/thon/{village.id}/nhap" in page and "/nhap/mau.xlsx" in page
    _member(client, village, "Trần Văn Minh", "0913000001", head=True)
    _member(client, village, "Lê Thị Lan", "0913000002", "women")
    for _ in range(5):
        make_household(village)
    assert "Chia đều 5 hộ cho 2 thành viên" in client.get("/cai-dat/nhap-ho").get_data(as_text=True)
    assert client.post_form(f"/cai-dat/nhap-ho/{village.id}/chia-deu").status_code == 302
    loads = dict(db.exec(select(Assignment.member_id, func.count(Assignment.id)).group_by(Assignment.member_id)).all())
    assert sorted(loads.values()) == [2, 3]
    assert "đã giao 5 hộ" in client.get("/cai-dat/nhap-ho").get_data(as_text=True)


# --- step 5: login slips -----------------------------------------------------------------------------------------


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "slips.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _slip_passwords(text: str) -> list[str]:
    return re.findall(r"Mật khẩu\s+([a-z2-9]{10})\b", text)


def test_slips_print_the_villages_members_and_their_passwords_sign_in(app, client, db, set_up, tmp_path):
    dong_bong, trung = _villages(client, db, set_up, "Thôn Đồng Bông", "Thôn Trung")
    _member(client, dong_bong, "Trần Văn Minh", "0913000001", head=True)
    _member(client, dong_bong, "Lê Thị Lan", "0913000002", "women")
    _member(client, dong_bong, "Phạm Văn Hùng", "0913000003", "farmers")
    _member(client, trung, "Đỗ Thị Mai", "0913000004", head=True)
    page = client.get("/cai-dat/phieu").get_data(as_text=True)
    assert "Bước 5/5" in page and "Mỗi lần in là cấp mật khẩu mới" in page

    response = client.post_form(f"/cai-dat/phieu/{dong_bong.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="phieu-dang-nhap-thon-dong-bong.pdf"' in response.headers["Content-Disposition"]
    text = _pdf_text(response.data, tmp_path)
    for name, phone in (("Trần Văn Minh", "0913000001"), ("Lê Thị Lan", "0913000002"),
                        ("Phạm Văn Hùng", "0913000003")):
        assert name in text and phone in text
    assert "Đỗ Thị Mai" not in text and "0913000004" not in text
    assert "http://localhost/" in text and "Thêm vào màn hình chính" in text and "hết hạn sau 7 ngày" in text
    assert "Thôn Đồng Bông, Xã Tam Tiến" in text
    passwords = _slip_passwords(text)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    assert not any(p in str(db.exec(select(AuditEvent.after)).all()) for p in passwords)

    # Page 1 renders as an A4 image with ink on it.
    (tmp_path / "slips.pdf").write_bytes(response.data)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(tmp_path / "slips.pdf"),
                    str(tmp_path / "page")], check=True)
    from PIL import Image
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert abs(image.width / image.height - 210 / 297) < 0.01
    dark = sum(image.histogram()[:128])  # grey levels 0-127: text and lines
    assert dark > 0.01 * image.width * image.height

    # Each printed password opens the member's account, which must then choose its own.
    for phone, password in zip(("0913000001", "0913000002", "0913000003"), passwords):
        device = app.test_client()
        signed_in = device.post_form("/dang-nhap", {"phone": phone, "password": password})
        assert signed_in.status_code == 302 and signed_in.headers["Location"].startswith("/doi-mat-khau")
        assert device.get("/").headers["Location"] == "/doi-mat-khau"
    new = "ruong lua sau nha"
    device = app.test_client()
    device.post_form("/dang-nhap", {"phone": "0913000001", "password": passwords[0]})
    assert device.post_form("/doi-mat-khau", {"current_password": passwords[0], "new_password": new,
                                              "confirm": new}).status_code == 302

    # Printing again: new passwords for those who have not signed in; the earlier slips stop working; the member
    # who chose their own password gets no slip.
    again = _pdf_text(client.post_form(f"/cai-dat/phieu/{dong_bong.id}.pdf").data, tmp_path)
    assert "Trần Văn Minh" not in again and "Lê Thị Lan" in again
    reprinted = _slip_passwords(again)
    assert len(reprinted) == 2 and not set(reprinted) & set(passwords)
    assert authenticate(db, "0913000002", passwords[1]) is None
    assert authenticate(db, "0913000002", reprinted[0]) is not None
    assert authenticate(db, "0913000001", new) is not None


def test_no_slip_to_print_says_so_and_writes_nothing(client, db, set_up):
    village, = _villages(client, db, set_up, "Thôn Đồng Bông")
    audits = _count(db, AuditEvent)
    response = client.post_form(f"/cai-dat/phieu/{village.id}.pdf")
    assert response.status_code == 422
    assert "Không có thành viên nào của Thôn Đồng Bông cần phiếu" in response.get_data(as_text=True)
    assert _count(db, AuditEvent) == audits


def test_a_setup_done_by_the_official_themself(client, login, db, make_user, make_household):
    """An official whose commune was set up by the command line (no admin wizard) uses the same steps."""
    official = make_user(Role.OFFICIAL, name="Nguyễn Thị Hoa")
    login(official)
    assert client.get("/").status_code == 200  # only admins are sent to the set-up
    assert client.get("/cai-dat").headers["Location"] == "/cai-dat/thon"
    village, = _villages(client, db, _commune(db), "Thôn Đồng Bông")
    assert client.get("/cai-dat").headers["Location"] == "/cai-dat/ban"
    _member(client, village, "Trần Văn Minh", "0913000001", head=True)
    assert client.get("/cai-dat").headers["Location"] == "/cai-dat/nhap-ho"
    make_household(village)
    assert client.get("/cai-dat").headers["Location"] == "/cai-dat/phieu"
    steps = client.get("/cai-dat/phieu").get_data(as_text=True)
    assert steps.count(">Xong<") == 4
    user = db.exec(select(User).where(User.phone == "0913000001")).one()
    user.must_change_password = False  # signed in and chose their own
    db.add(user)
    db.commit()
    assert "Xong, về trang chủ" in client.get("/cai-dat/phieu").get_data(as_text=True)
    assert db.get(Province, _commune(db).province_id).name == "Tỉnh Bắc Ninh"
