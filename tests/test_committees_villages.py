"""Villages: the commune's list with each committee's rule status, creating and correcting villages, scope."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlmodel import func, select

from fieldwork.models import AuditEvent, Role, Village, VillageKind


@pytest.fixture
def setup(make_village, make_committee, make_user, make_household):
    village = make_village(name="Thôn Đồng Bông", code="T01")
    _, members = make_committee(village)
    for _ in range(3):
        make_household(village, assigned_to=members[0], people=1)
    small = make_village(name="Thôn Tân Sơn", code="T02")
    make_committee(small, members=4)
    bare = make_village(name="Thôn Hạ", code="T03")
    elsewhere = make_village(commune_code="00004", name="Tổ dân phố Ngoài Xã", code="T01")
    return {"village": village, "small": small, "bare": bare, "elsewhere": elsewhere, "members": members,
            "official": make_user(Role.OFFICIAL), "admin": make_user(Role.ADMIN),
            "member": make_user(Role.MEMBER, village=village, member=members[1]),
            "outsider": make_user(Role.OFFICIAL, commune_code="00004")}


def _count(db, model, *where):
    return db.exec(select(func.count(model.id)).where(*where)).one()


def test_official_sees_the_communes_villages_with_their_rule_status(client, login, setup):
    login(setup["official"])
    response = client.get("/thon")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thôn Đồng Bông" in body and "Thôn Tân Sơn" in body and "Thôn Hạ" in body
    assert "Ngoài Xã" not in body
    assert "3 hộ · 5 thành viên ban" in body
    assert "Ban đúng quy định" in body
    assert "Thiếu thành viên" in body  # Tân Sơn has 4
    assert "Chưa thành lập ban" in body  # Hạ has none
    assert "1/3 thôn có ban vận động đúng quy định" in body


def test_admin_sees_every_village_with_its_commune(client, login, setup):
    login(setup["admin"])
    body = client.get("/thon").get_data(as_text=True)
    assert "Ngoài Xã" in body and "Phường Ba Đình" in body and "Xã Tam Tiến" in body


def test_official_creates_a_village(client, login, db, setup):
    login(setup["official"])
    response = client.post_form("/thon/moi", {"code": " T09 ", "name": "Thôn  Phú Mỹ", "kind": "xom"})
    assert response.status_code == 302
    village = db.exec(select(Village).where(Village.code == "T09")).one()
    assert village.name == "Thôn Phú Mỹ" and village.kind == VillageKind.XOM
    assert village.commune_id == setup["official"].commune_id
    assert response.headers["Location"] == f"/thon/{village.id}"
    assert _count(db, AuditEvent, AuditEvent.entity == "village", AuditEvent.entity_id == village.id) == 1


@pytest.mark.parametrize("data, message", [
    ({"code": "T10", "name": "", "kind": "thon"}, "Hãy nhập tên thôn"),
    ({"code": "", "name": "Thôn Phú Mỹ", "kind": "thon"}, "Hãy nhập mã thôn"),
    ({"code": "T01", "name": "Thôn Phú Mỹ", "kind": "thon"}, "Mã thôn T01 đã có trong xã này"),
    ({"code": "T10", "name": "Thôn Phú Mỹ", "kind": "lang"}, "Hãy chọn một mục trong danh sách."),
])
def test_bad_village_input_is_refused_and_kept(client, login, db, setup, data, message):
    login(setup["official"])
    before = _count(db, Village)
    response = client.post_form("/thon/moi", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    for typed in (data["code"], data["name"]):
        if typed:
            assert f'value="{typed}"' in body
    assert _count(db, Village) == before


def test_the_same_code_is_fine_in_another_commune(client, login, db, setup):
    # T01 exists in Phường Ba Đình: the code only has to be unique within the commune.
    login(setup["official"])
    assert client.post_form("/thon/moi", {"code": "T04", "name": "Thôn Mới", "kind": "thon"}).status_code == 302
    login_admin = setup["admin"]
    client.post_form("/dang-xuat")
    login(login_admin)
    response = client.post_form("/thon/moi", {"commune_code": "00004", "code": "T04", "name": "Tổ 4",
                                              "kind": "to_dan_pho"})
    assert response.status_code == 302
    assert _count(db, Village, Village.code == "T04") == 2


def test_admin_must_name_an_existing_commune(client, login, db, setup):
    login(setup["admin"])
    response = client.post_form("/thon/moi", {"commune_code": "99999", "code": "T05", "name": "Thôn Lạ",
                                              "kind": "thon"})
    assert response.status_code == 422
    assert "Không có xã nào mang mã 99999" in response.get_data(as_text=True)
    assert _count(db, Village, Village.code == "T05") == 0


def test_official_is_not_asked_for_a_commune(client, login, setup):
    login(setup["official"])
    assert "commune_code" not in client.get("/thon/moi").get_data(as_text=True)


def test_official_edits_a_village(client, login, db, setup):
    login(setup["official"])
    village = setup["bare"]
    form = client.get(f"/thon/{village.id}/sua").get_data(as_text=True)
    assert 'value="Thôn Hạ"' in form
    response = client.post_form(f"/thon/{village.id}/sua", {"code": "T03", "name": "Thôn Hạ Long", "kind": "ap"})
    assert response.status_code == 302
    db.refresh(village)
    assert village.name == "Thôn Hạ Long" and village.kind == VillageKind.AP
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "village", AuditEvent.action == "update")).one()
    assert event.before["name"] == "Thôn Hạ" and event.after["name"] == "Thôn Hạ Long"


def test_editing_to_a_taken_code_is_refused(client, login, db, setup):
    login(setup["official"])
    village = setup["bare"]
    response = client.post_form(f"/thon/{village.id}/sua", {"code": "T01", "name": "Thôn Hạ", "kind": "thon"})
    assert response.status_code == 422
    assert "Mã thôn T01 đã có trong xã này" in response.get_data(as_text=True)
    db.refresh(village)
    assert village.code == "T03"


def test_village_page_links_to_households_import_export_and_assignment(app, client, login, setup):
    login(setup["official"])
    village_id = setup["village"].id
    body = client.get(f"/thon/{village_id}").get_data(as_text=True)
    with app.test_request_context():
        for endpoint in ("households.village_list", "imports.upload", "imports.export_village",
                         "assignments.village"):
            assert f'href="{url_for(endpoint, village_id=village_id)}"' in body, endpoint
        assert f'href="{url_for("imports.export_commune")}"' in client.get("/thon").get_data(as_text=True)
    assert "Ban đúng quy định" in body


def test_links_to_pages_that_do_not_exist_yet_are_left_out(app):
    from fieldwork.committees.views import _optional_url

    with app.test_request_context():
        assert _optional_url("committees.village", village_id=1) == "/thon/1"
        assert _optional_url("no_such_area.page", village_id=1) is None


# --- scope -------------------------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/thon"), ("get", "/thon/moi"), ("post", "/thon/moi"),
    ("get", "/thon/{v}"), ("get", "/thon/{v}/sua"), ("post", "/thon/{v}/sua"),
]


def _call(client, method, url):
    return client.get(url) if method == "get" else client.post_form(url, {"code": "X", "name": "X", "kind": "thon"})


@pytest.mark.parametrize("method, url", ROUTES)
def test_members_are_refused(client, login, setup, method, url):
    login(setup["member"])
    assert _call(client, method, url.format(v=setup["village"].id)).status_code == 403


@pytest.mark.parametrize("method, url", ROUTES)
def test_anonymous_is_sent_to_sign_in(client, setup, method, url):
    response = _call(client, method, url.format(v=setup["village"].id))
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")


@pytest.mark.parametrize("method, url", [r for r in ROUTES if "{v}" in r[1]])
def test_official_of_another_commune_gets_404(client, login, db, setup, method, url):
    login(setup["outsider"])
    assert _call(client, method, url.format(v=setup["village"].id)).status_code == 404
    db.refresh(setup["village"])
    assert setup["village"].name == "Thôn Đồng Bông"
