"""Committees and members: founding a committee, members joining, correcting, leaving, the head, the rules shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from fieldwork.models import AuditEvent, Committee, CommitteeMember, Organisation, Role
from fieldwork.text import local_today


@pytest.fixture
def setup(make_village, make_committee, make_user):
    village = make_village(name="Thôn Đồng Bông")
    committee, members = make_committee(village)
    other = make_village(name="Thôn Tân Sơn")
    _, other_members = make_committee(other)
    return {"village": village, "committee": committee, "members": members, "other": other,
            "other_members": other_members, "bare": make_village(name="Thôn Hạ"),
            "official": make_user(Role.OFFICIAL), "admin": make_user(Role.ADMIN),
            "member": make_user(Role.MEMBER, village=village, member=members[1]),
            "outsider": make_user(Role.OFFICIAL, commune_code="00004")}


NEW = {"full_name": "Lê Thị Mai", "phone": "0987 654 321", "organisation": "youth", "title": "Bí thư chi đoàn",
       "joined_on": "2025-09-01"}


def _count(db, model, *where):
    return db.exec(select(func.count(model.id)).where(*where)).one()


def _active(db, committee):
    db.expire_all()  # the app changed these rows in its own session
    return db.exec(select(CommitteeMember).where(CommitteeMember.committee_id == committee.id,
                                                 CommitteeMember.left_on.is_(None))).all()


# --- the village page --------------------------------------------------------------------------------------------


def test_village_page_shows_the_committee(client, login, db, setup):
    head = setup["members"][0]
    head.title = "Trưởng ban công tác Mặt trận"
    db.add(head)
    db.commit()
    login(setup["official"])
    body = client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    assert "Thành lập ngày 15/08/2025" in body
    for m in setup["members"]:
        assert m.full_name in body and m.phone in body
    assert "Trưởng ban công tác Mặt trận" in body and "Mặt trận Tổ quốc" in body and "Hội Phụ nữ" in body
    assert "Vào ban 15/08/2025" in body
    assert body.count("Có tài khoản") == 1 and body.count("Chưa có tài khoản") == 4
    assert "Ban đúng quy định" in body and "committee-problems" not in body


@pytest.mark.parametrize("change, message", [
    ("four", "Ban mới có 4 thành viên đang hoạt động; cần từ 5 đến 7."),
    ("no_head", "Ban chưa có trưởng ban."),
    ("women_head",
     "Trưởng ban nên là Trưởng ban công tác Mặt trận thôn (tổ chức Mặt trận Tổ quốc); hiện là Hội Phụ nữ."),
    ("eight", "Ban có 8 thành viên đang hoạt động; quy định chỉ từ 5 đến 7."),
])
def test_village_page_says_plainly_what_breaks_the_rules(client, login, db, setup, change, message):
    members, committee = setup["members"], setup["committee"]
    if change == "four":
        members[4].left_on = date(2026, 1, 5)
    elif change == "no_head":
        members[0].is_head = False
    elif change == "women_head":
        members[0].organisation = Organisation.WOMEN
    else:
        db.add_all([CommitteeMember(committee_id=committee.id, full_name=f"Người Thêm {i}", joined_on=date(2025, 9, 1),
                                    organisation=Organisation.OTHER) for i in range(3)])
    db.add_all(members)
    db.commit()
    login(setup["official"])
    body = client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    assert "Ban chưa đúng quy định" in body
    assert message in body


def test_past_members_are_kept_as_history(client, login, db, setup):
    gone = setup["members"][4]
    gone.left_on = date(2026, 3, 1)
    db.add(gone)
    db.commit()
    login(setup["official"])
    body = client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    history = body.split("Thành viên đã rời ban")[1]
    assert gone.full_name in history and "Từ 15/08/2025 đến 01/03/2026" in history


def test_departed_member_still_holding_households_is_flagged(client, login, db, setup, make_household):
    gone = setup["members"][3]
    for _ in range(2):
        make_household(setup["village"], assigned_to=gone, people=1)
    gone.left_on = date(2026, 3, 1)
    db.add(gone)
    db.commit()
    login(setup["official"])
    body = client.get(f"/thon/{setup['village'].id}").get_data(as_text=True)
    assert (f"{gone.full_name} đã rời ban ngày 01/03/2026 nhưng vẫn đang phụ trách 2 hộ; "
            "cần giao các hộ này cho thành viên khác.") in body
    assert f'href="/thon/{setup["village"].id}/phan-cong/ban-giao/{gone.id}"' in body


# --- founding a committee ----------------------------------------------------------------------------------------


def test_official_founds_a_committee(client, login, db, setup):
    login(setup["official"])
    village = setup["bare"]
    assert "Thành lập ban" in client.get(f"/thon/{village.id}").get_data(as_text=True)
    response = client.post_form(f"/thon/{village.id}/ban", {"established_on": "2026-02-03",
                                                           "decision_ref": " 201/QĐ-UBND "})
    assert response.status_code == 302
    committee = db.exec(select(Committee).where(Committee.village_id == village.id)).one()
    assert committee.established_on == date(2026, 2, 3) and committee.decision_ref == "201/QĐ-UBND"
    assert _count(db, AuditEvent, AuditEvent.entity == "committee") == 1
    body = client.get(f"/thon/{village.id}").get_data(as_text=True)
    assert "Quyết định số 201/QĐ-UBND" in body and "Ban mới có 0 thành viên" in body


@pytest.mark.parametrize("typed, message", [
    ("", "Hãy nhập ngày thành lập ban"),
    ("31/02/2026", "Ngày không hợp lệ"),
    ("2099-01-01", "Ngày thành lập không được sau hôm nay."),
])
def test_bad_founding_date_is_refused(client, login, db, setup, typed, message):
    login(setup["official"])
    village = setup["bare"]
    response = client.post_form(f"/thon/{village.id}/ban", {"established_on": typed, "decision_ref": "77/QĐ"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body and 'value="77/QĐ"' in body
    assert _count(db, Committee, Committee.village_id == village.id) == 0


def test_dates_typed_the_vietnamese_way_are_understood(client, login, db, setup):
    login(setup["official"])
    village = setup["bare"]
    assert client.post_form(f"/thon/{village.id}/ban", {"established_on": "03/02/2026"}).status_code == 302
    assert db.exec(select(Committee).where(Committee.village_id == village.id)).one().established_on == date(2026, 2, 3)


def test_a_second_committee_is_refused(client, login, db, setup):
    login(setup["official"])
    response = client.post_form(f"/thon/{setup['village'].id}/ban", {"established_on": "2026-02-03"})
    assert response.status_code == 422
    assert "Thôn này đã có ban vận động" in response.get_data(as_text=True)
    assert _count(db, Committee, Committee.village_id == setup["village"].id) == 1


def test_adding_a_member_needs_a_committee_first(client, login, setup):
    login(setup["official"])
    response = client.get(f"/thon/{setup['bare'].id}/ban/thanh-vien/moi", follow_redirects=True)
    assert "Thôn này chưa có ban vận động; hãy thành lập ban trước." in response.get_data(as_text=True)


# --- members joining ---------------------------------------------------------------------------------------------


def test_official_adds_a_member(client, login, db, setup):
    login(setup["official"])
    url = f"/thon/{setup['village'].id}/ban/thanh-vien/moi"
    form = client.get(url).get_data(as_text=True)
    assert f'value="{local_today().isoformat()}"' in form  # joined today unless told otherwise
    response = client.post_form(url, NEW)
    assert response.status_code == 302
    member = db.exec(select(CommitteeMember).where(CommitteeMember.full_name == "Lê Thị Mai")).one()
    assert member.phone == "0987654321" and member.organisation == Organisation.YOUTH
    assert member.joined_on == date(2025, 9, 1) and not member.is_head and member.user_id is None
    assert _count(db, AuditEvent, AuditEvent.entity == "committee_member", AuditEvent.entity_id == member.id) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã thêm Lê Thị Mai vào ban." in page and "Bí thư chi đoàn" in page


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", "Số điện thoại phải có 10 chữ số và bắt đầu bằng 0"),
    ("full_name", " ", "Hãy nhập họ và tên đầy đủ"),
    ("joined_on", "", "Hãy nhập ngày vào ban"),
    ("joined_on", "15-13-2025", "Ngày không hợp lệ; hãy chọn ngày hoặc nhập theo dạng ngày/tháng/năm"),
    ("joined_on", "2025-01-01", "Ngày vào ban không được trước ngày thành lập ban (15/08/2025)."),
    ("joined_on", (date.today() + timedelta(days=3)).isoformat(), "Ngày vào ban không được sau hôm nay."),
    ("organisation", "party", "Hãy chọn một mục trong danh sách."),
])
def test_bad_member_input_is_refused_and_kept(client, login, db, setup, field, value, message):
    login(setup["official"])
    before = _count(db, CommitteeMember)
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/moi", {**NEW, field: value})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert 'value="Bí thư chi đoàn"' in body  # what was typed is still there
    assert _count(db, CommitteeMember) == before


def test_a_person_is_in_only_one_active_committee(client, login, db, setup):
    login(setup["official"])
    taken = setup["other_members"][2]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/moi", {**NEW, "phone": taken.phone})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"đã là của {taken.full_name}, thành viên đang hoạt động của ban Thôn Tân Sơn" in body
    assert _count(db, CommitteeMember, CommitteeMember.phone == taken.phone) == 1


def test_someone_who_left_another_committee_may_join(client, login, db, setup):
    gone = setup["other_members"][2]
    gone.left_on = date(2026, 1, 1)
    db.add(gone)
    db.commit()
    login(setup["official"])
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/moi", {**NEW, "phone": gone.phone})
    assert response.status_code == 302


def test_clash_in_another_commune_names_nobody(client, login, db, setup, make_village, make_committee):
    _, far = make_committee(make_village(commune_code="00004", name="Tổ Xa"))
    login(setup["official"])
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/moi", {**NEW, "phone": far[0].phone})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "thành viên đang hoạt động ở xã khác" in body
    assert far[0].full_name not in body and "Tổ Xa" not in body


# --- the head ----------------------------------------------------------------------------------------------------


def test_a_new_head_replaces_the_previous_one(client, login, db, setup):
    login(setup["official"])
    old_head = setup["members"][0]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/moi",
                                {**NEW, "organisation": "front", "is_head": "y"})
    assert response.status_code == 302
    heads = [m for m in _active(db, setup["committee"]) if m.is_head]
    assert [h.full_name for h in heads] == ["Lê Thị Mai"]
    db.refresh(old_head)
    assert not old_head.is_head
    assert _count(db, AuditEvent, AuditEvent.action == "unhead", AuditEvent.entity_id == old_head.id) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{old_head.full_name} không còn là trưởng ban." in page


def test_editing_a_member_into_head_replaces_the_head(client, login, db, setup):
    login(setup["official"])
    members = setup["members"]
    target = members[2]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{target.id}/sua", {
        "full_name": target.full_name, "phone": target.phone, "organisation": "front", "title": "",
        "is_head": "y", "joined_on": "2025-08-15"})
    assert response.status_code == 302
    assert [m.id for m in _active(db, setup["committee"]) if m.is_head] == [target.id]


# --- correcting a member -----------------------------------------------------------------------------------------


def test_official_corrects_a_member(client, login, db, setup):
    login(setup["official"])
    target = setup["members"][2]
    url = f"/thon/{setup['village'].id}/ban/thanh-vien/{target.id}/sua"
    form = client.get(url).get_data(as_text=True)
    assert f'value="{target.full_name}"' in form and '<option selected value="farmers">' in form
    response = client.post_form(url, {"full_name": "Hoàng Văn Nam", "phone": "0912000111", "organisation": "farmers",
                                      "title": "Chi hội trưởng nông dân", "joined_on": "2025-08-20"})
    assert response.status_code == 302
    db.refresh(target)
    assert (target.full_name, target.phone, target.title) == ("Hoàng Văn Nam", "0912000111", "Chi hội trưởng nông dân")
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "committee_member", AuditEvent.action == "update",
                                             AuditEvent.entity_id == target.id)).one()
    assert event.before["full_name"] == "Thành Viên Số 3" and event.after["full_name"] == "Hoàng Văn Nam"


def test_bad_correction_is_refused_and_kept(client, login, db, setup):
    login(setup["official"])
    target = setup["members"][2]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{target.id}/sua", {
        "full_name": "Hoàng Văn Nam", "phone": "091", "organisation": "farmers", "joined_on": "2025-08-20"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Số điện thoại phải có 10 chữ số" in body and 'value="Hoàng Văn Nam"' in body and 'value="091"' in body
    db.refresh(target)
    assert target.full_name == "Thành Viên Số 3"


def test_a_linked_login_follows_the_phone_and_name(client, login, db, setup):
    login(setup["official"])
    target, user = setup["members"][1], setup["member"]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{target.id}/sua", {
        "full_name": "Trần Thị Hương", "phone": "0912000222", "organisation": "women", "joined_on": "2025-08-15"})
    assert response.status_code == 302
    db.refresh(user)
    assert user.phone == "0912000222" and user.display_name == "Trần Thị Hương"


def test_a_phone_used_by_another_login_cannot_be_given_to_a_member_with_a_login(client, login, db, setup):
    login(setup["official"])
    target = setup["members"][1]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{target.id}/sua", {
        "full_name": target.full_name, "phone": setup["official"].phone, "organisation": "women",
        "joined_on": "2025-08-15"})
    assert response.status_code == 422
    assert "đã được dùng để đăng nhập cho một tài khoản khác" in response.get_data(as_text=True)


# --- leaving -----------------------------------------------------------------------------------------------------


def test_member_leaves_and_stays_in_the_history(client, login, db, setup):
    login(setup["official"])
    gone = setup["members"][4]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{gone.id}/roi-ban",
                                {"left_on": "2026-10-31"})
    assert response.status_code == 302
    db.refresh(gone)
    assert gone.left_on == date(2026, 10, 31)
    assert _count(db, AuditEvent, AuditEvent.action == "leave", AuditEvent.entity_id == gone.id) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Đã ghi nhận {gone.full_name} rời ban ngày 31/10/2026." in page
    assert "Ban mới có 4 thành viên đang hoạt động; cần từ 5 đến 7." in page
    assert "Từ 15/08/2025 đến 31/10/2026" in page


@pytest.mark.parametrize("typed, message", [
    ("2025-08-01", "Ngày rời ban không được trước ngày vào ban (15/08/2025)."),
    ("", "Hãy nhập ngày rời ban"),
    ((date.today() + timedelta(days=3)).isoformat(), "Ngày rời ban không được sau hôm nay."),
])
def test_bad_leaving_date_is_refused_and_kept(client, login, db, setup, typed, message):
    login(setup["official"])
    gone = setup["members"][4]
    response = client.post_form(f"/thon/{setup['village'].id}/ban/thanh-vien/{gone.id}/roi-ban", {"left_on": typed})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    if typed:
        assert f'value="{typed}"' in body
    db.refresh(gone)
    assert gone.left_on is None


def test_a_member_who_left_cannot_leave_again_or_be_edited(client, login, db, setup):
    gone = setup["members"][4]
    gone.left_on = date(2026, 3, 1)
    db.add(gone)
    db.commit()
    login(setup["official"])
    base = f"/thon/{setup['village'].id}/ban/thanh-vien/{gone.id}"
    assert "đã rời ban ngày 01/03/2026" in client.get(base + "/sua").get_data(as_text=True)
    again = client.post_form(base + "/roi-ban", {"left_on": "2026-04-01"})
    assert again.status_code == 422 and "không thể thay đổi nữa" in again.get_data(as_text=True)
    db.refresh(gone)
    assert gone.left_on == date(2026, 3, 1)


# --- scope -------------------------------------------------------------------------------------------------------

MEMBER_ROUTES = [
    ("post", "/thon/{v}/ban"), ("get", "/thon/{v}/ban/thanh-vien/moi"), ("post", "/thon/{v}/ban/thanh-vien/moi"),
    ("get", "/thon/{v}/ban/thanh-vien/{m}/sua"), ("post", "/thon/{v}/ban/thanh-vien/{m}/sua"),
    ("post", "/thon/{v}/ban/thanh-vien/{m}/roi-ban"), ("post", "/thon/{v}/ban/thanh-vien/{m}/tai-khoan"),
    ("post", "/thon/{v}/ban/thanh-vien/{m}/tai-khoan/thu-hoi"),
]


def _call(client, method, url):
    if method == "get":
        return client.get(url)
    return client.post_form(url, {**NEW, "left_on": "2026-01-01", "established_on": "2026-01-01"})


def _urls(setup, url):
    return url.format(v=setup["village"].id, m=setup["members"][2].id)


@pytest.mark.parametrize("method, url", MEMBER_ROUTES)
def test_members_are_refused(client, login, setup, method, url):
    login(setup["member"])
    assert _call(client, method, _urls(setup, url)).status_code == 403


@pytest.mark.parametrize("method, url", MEMBER_ROUTES)
def test_anonymous_is_sent_to_sign_in(client, setup, method, url):
    response = _call(client, method, _urls(setup, url))
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")


@pytest.mark.parametrize("method, url", MEMBER_ROUTES)
def test_official_of_another_commune_gets_404_and_changes_nothing(client, login, db, setup, method, url):
    login(setup["outsider"])
    before = (_count(db, CommitteeMember), _count(db, Committee), _count(db, AuditEvent))
    assert _call(client, method, _urls(setup, url)).status_code == 404
    assert (_count(db, CommitteeMember), _count(db, Committee), _count(db, AuditEvent)) == before


@pytest.mark.parametrize("method, url", [r for r in MEMBER_ROUTES if "{m}" in r[1]])
def test_a_member_of_another_village_is_not_found_through_this_village(client, login, setup, method, url):
    login(setup["official"])
    wrong = url.format(v=setup["village"].id, m=setup["other_members"][2].id)
    assert _call(client, method, wrong).status_code == 404


@pytest.mark.parametrize("method, url", MEMBER_ROUTES[:3])
def test_admin_may_act_anywhere(client, login, db, setup, method, url):
    login(setup["admin"])
    response = _call(client, method, _urls(setup, url).replace(str(setup["village"].id), str(setup["bare"].id), 1))
    assert response.status_code in (200, 302)
