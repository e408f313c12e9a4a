"""Assignment pages: who may use each route, bad input refused with a message and nothing written, the flows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from fieldwork.models import Assignment, AuditEvent, FollowUp, FollowUpKind, FollowUpStatus, Role


@pytest.fixture
def setup(db, make_village, make_committee, make_user, make_household):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)  # members[0] is the head
    other = make_village(name="Thôn Tân Sơn")
    _, other_members = make_committee(other)
    households = [
        make_household(village, people=0, code="T01-0001", head_name="Lê Văn Đạt", assigned_to=members[1]),
        make_household(village, people=0, code="T01-0002", head_name="Phạm Thị Yến"),
        make_household(village, people=0, code="T01-0003", head_name="Hoàng Minh Khánh"),
        make_household(village, people=0, code="T01-0004", head_name="Trần Văn Bình", assigned_to=members[4]),
    ]
    for h, group in zip(households, ["Xóm Trên", "Xóm Trên", "Xóm Dưới", "Xóm Dưới"]):
        h.hamlet_group = group
        db.add(h)
    db.add(FollowUp(household_id=households[3].id, member_id=members[4].id, kind=FollowUpKind.REVISIT,
                    due_on=date(2026, 1, 10)))
    db.commit()
    return {
        "village": village, "other": other, "members": members, "other_members": other_members,
        "households": households, "foreign": make_household(other, people=0, head_name="Người Thôn Khác"),
        "official": make_user(Role.OFFICIAL, name="Cán Bộ Xã"), "admin": make_user(Role.ADMIN),
        "head": make_user(Role.MEMBER, village=village, member=members[0], name="Thành Viên Số 1"),
        "member": make_user(Role.MEMBER, village=village, member=members[1]),
        "other_head": make_user(Role.MEMBER, village=other, member=other_members[0]),
        "outsider": make_user(Role.OFFICIAL, commune_code="00004"),
    }


def _count(db, model, *where) -> int:
    return db.exec(select(func.count(model.id)).where(*where)).one()


def _written(db) -> tuple[int, int, int]:
    """What an assignment change writes: assignment rows, closed rows, audit events."""
    return (_count(db, Assignment), _count(db, Assignment, Assignment.valid_to.is_not(None)),
            _count(db, AuditEvent, AuditEvent.action.in_(["assign", "end", "reassign"])))


def _holder(db, household):
    return db.exec(select(Assignment.member_id).where(Assignment.household_id == household.id,
                                                      Assignment.valid_to.is_(None))).first()


def _give_back(db, household, member) -> None:
    row = db.exec(select(Assignment).where(Assignment.household_id == household.id,
                                           Assignment.valid_to.is_(None))).first()
    if row is not None and row.member_id != member.id:
        row.valid_to = date(2026, 11, 23)
        db.add(row)
        db.flush()
    if row is None or row.member_id != member.id:
        db.add(Assignment(household_id=household.id, member_id=member.id, valid_from=date(2026, 11, 23)))
    db.commit()


def _routes(s) -> dict:
    v, h, leaving, to = s["village"].id, s["households"][1].id, s["members"][4].id, s["members"][2].id
    return {
        "village": ("get", f"/thon/{v}/phan-cong", None),
        "household": ("get", f"/ho/{h}/phan-cong", None),
        "household_post": ("post", f"/ho/{h}/phan-cong", {"member_id": to}),
        "bulk": ("post", f"/thon/{v}/phan-cong/giao", {"household_ids": [h], "member_id": to}),
        "balance": ("post", f"/thon/{v}/phan-cong/can-bang", {"only_unassigned": "1"}),
        "handover": ("get", f"/thon/{v}/phan-cong/ban-giao/{leaving}", None),
        "handover_post": ("post", f"/thon/{v}/phan-cong/ban-giao/{leaving}", {"member_id": "deu"}),
    }


def _call(client, method, url, data):
    return client.get(url) if method == "get" else client.post_form(url, data)


# --- scope: every route ----------------------------------------------------------------------------------------------

ROUTES = ["village", "household", "household_post", "bulk", "balance", "handover", "handover_post"]
DENIED = [("anonymous", "login"), ("member", 403), ("other_head", 404), ("outsider", 404)]
ALLOWED = ["official", "head", "admin"]


@pytest.mark.parametrize("route", ROUTES)
def test_scope_of_every_route(client, login, db, setup, route):
    """Anonymous → sign in; a member who is not the head → 403; the head of another village and an official of
    another commune → 404 (as if it did not exist); the official, the village's head and an admin may."""
    method, url, data = _routes(setup)[route]
    before = _written(db)
    for who, expected in DENIED:
        if who == "anonymous":
            client.delete_cookie("session")
        else:
            login(setup[who])
        response = _call(client, method, url, data)
        if expected == "login":
            assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap"), who
        else:
            assert response.status_code == expected, who
        db.expire_all()
        assert _written(db) == before, who
    for who in ALLOWED:
        if route == "handover_post":
            _give_back(db, setup["households"][3], setup["members"][4])  # something to hand over again
        login(setup[who])
        response = _call(client, method, url, data)
        assert response.status_code == (200 if method == "get" else 302), (who, response.get_data(as_text=True))
        if who == ALLOWED[0]:
            db.expire_all()
            assert (_written(db) == before) == (method == "get"), who


@pytest.mark.parametrize("who, expected", [
    ("anonymous", 302), ("member", 403), ("head", 403), ("other_head", 403),
    ("outsider", 200), ("official", 200), ("admin", 200),
])
def test_scope_of_the_commune_review(client, login, setup, who, expected):
    if who != "anonymous":
        login(setup[who])
    response = client.get("/phan-cong")
    assert response.status_code == expected
    if expected == 200:
        shown = "Thôn Đồng Bông" in response.get_data(as_text=True)
        assert shown == (who != "outsider")


# --- bad input: 422, a message that says how to fix it, nothing written ----------------------------------------------


def _bad_cases(s) -> list:
    v, hs, m = s["village"].id, s["households"], s["members"]
    bulk, one = f"/thon/{v}/phan-cong/giao", f"/ho/{hs[1].id}/phan-cong"
    handover = f"/thon/{v}/phan-cong/ban-giao/{m[4].id}"
    return [
        (bulk, {"household_ids": [hs[1].id, hs[2].id], "member_id": ""}, "Hãy chọn thành viên sẽ phụ trách hộ."),
        (bulk, {"member_id": m[2].id}, "Chưa chọn hộ nào; hãy đánh dấu các hộ cần giao rồi bấm Giao."),
        (bulk, {"household_ids": [hs[1].id], "member_id": s["other_members"][1].id},
         "không phải thành viên đang hoạt động của ban vận động thôn này"),
        (bulk, {"household_ids": [hs[1].id, s["foreign"].id], "member_id": m[2].id},
         "Có hộ đã chọn không thuộc thôn này"),
        (bulk, {"household_ids": [hs[1].id, "mot"], "member_id": m[2].id}, "Danh sách hộ đã chọn không hợp lệ"),
        (one, {"member_id": ""}, "Hãy chọn thành viên sẽ phụ trách hộ."),
        (one, {"member_id": s["other_members"][2].id}, "hãy chọn một người trong danh sách"),
        (handover, {"member_id": ""}, "Hãy chọn người nhận bàn giao, hoặc chọn chia đều"),
        (handover, {"member_id": m[4].id}, "hãy chọn một người trong danh sách"),
        (f"/thon/{v}/phan-cong/can-bang", {"only_unassigned": "ca-hai"}, "Hãy chọn một mục trong danh sách."),
    ]


@pytest.mark.parametrize("case", range(10))
def test_bad_input_is_refused_with_a_message_and_nothing_written(client, login, db, setup, case):
    url, data, message = _bad_cases(setup)[case]
    login(setup["official"])
    before = _written(db)
    response = client.post_form(url, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert _written(db) == before


def test_refused_bulk_keeps_the_ticked_households(client, login, setup):
    login(setup["head"])
    hs = setup["households"]
    body = client.post_form(f"/thon/{setup['village'].id}/phan-cong/giao",
                            {"household_ids": [hs[1].id, hs[2].id], "member_id": ""}).get_data(as_text=True)
    assert f'value="{hs[1].id}" checked' in body and f'value="{hs[2].id}" checked' in body
    assert f'value="{hs[0].id}" checked' not in body


def test_departed_member_cannot_be_given_a_household(client, login, db, setup):
    departed = setup["members"][3]
    departed.left_on = date(2026, 10, 1)
    db.add(departed)
    db.commit()
    login(setup["official"])
    response = client.post_form(f"/ho/{setup['households'][1].id}/phan-cong", {"member_id": departed.id})
    assert response.status_code == 422 and "hãy chọn một người trong danh sách" in response.get_data(as_text=True)
    assert _holder(db, setup["households"][1]) is None


def test_balance_without_active_members_says_what_to_do(client, login, db, setup):
    for m in setup["members"]:
        m.left_on = date(2026, 10, 1)
        db.add(m)
    db.commit()
    login(setup["official"])
    response = client.post_form(f"/thon/{setup['village'].id}/phan-cong/can-bang", {"only_unassigned": "1"})
    assert response.status_code == 422
    assert "hãy thêm thành viên vào ban trước khi chia hộ" in response.get_data(as_text=True)


# --- the flows -------------------------------------------------------------------------------------------------------


def test_village_page_shows_loads_and_unassigned_households_first(client, login, setup):
    login(setup["official"])
    body = client.get(f"/thon/{setup['village'].id}/phan-cong").get_data(as_text=True)
    assert "Thành viên và số hộ phụ trách" in body and "Thành Viên Số 2" in body
    assert "hộ chưa phân công" in body
    listing = body[body.index('id="household-rows"'):]
    assert listing.index("Phạm Thị Yến") < listing.index("Lê Văn Đạt")  # unassigned first
    assert listing.index("Hoàng Minh Khánh") < listing.index("Lê Văn Đạt")


def test_filtering_with_htmx_swaps_only_the_rows(client, login, setup):
    login(setup["official"])
    url = f"/thon/{setup['village'].id}/phan-cong?xom=X%C3%B3m+D%C6%B0%E1%BB%9Bi"
    partial = client.get(url, headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    assert "<html" not in body and 'name="household_ids"' in body
    assert "Hoàng Minh Khánh" in body and "Phạm Thị Yến" not in body
    assert '<input type="hidden" name="xom" value="Xóm Dưới">' in body
    member = setup["members"][1].id
    by_member = client.get(f"/thon/{setup['village'].id}/phan-cong?phu-trach={member}").get_data(as_text=True)
    rows = by_member[by_member.index('id="household-rows"'):]
    assert "Lê Văn Đạt" in rows and "Phạm Thị Yến" not in rows
    unassigned = client.get(f"/thon/{setup['village'].id}/phan-cong?phu-trach=chua").get_data(as_text=True)
    rows = unassigned[unassigned.index('id="household-rows"'):]
    assert "Phạm Thị Yến" in rows and "Lê Văn Đạt" not in rows


def test_head_assigns_in_bulk_and_the_filter_is_kept(client, login, db, setup):
    login(setup["head"])
    hs, to = setup["households"], setup["members"][2]
    response = client.post_form(f"/thon/{setup['village'].id}/phan-cong/giao",
                                {"household_ids": [hs[0].id, hs[1].id, hs[2].id], "member_id": to.id,
                                 "xom": "Xóm Trên"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/thon/{setup['village'].id}/phan-cong?xom=X")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã giao 3 hộ cho Thành Viên Số 3." in page
    assert all(_holder(db, h) == to.id for h in hs[:3])
    row = db.exec(select(Assignment).where(Assignment.household_id == hs[0].id,
                                           Assignment.valid_to.is_(None))).one()
    assert row.assigned_by_id == setup["head"].id


def test_balance_shows_loads_before_and_after_once(client, login, db, setup):
    login(setup["official"])
    url = f"/thon/{setup['village'].id}/phan-cong"
    response = client.post_form(url + "/can-bang", {"only_unassigned": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#ket-qua")
    page = client.get(url).get_data(as_text=True)
    assert "Đã chia đều: 2 hộ được giao hoặc đổi người phụ trách." in page
    assert "Kết quả chia đều" in page and "2 hộ được giao hoặc đổi người phụ trách, trong số 2 hộ được xét." in page
    assert "Kết quả chia đều" not in client.get(url).get_data(as_text=True)
    assert _holder(db, setup["households"][1]) is not None and _holder(db, setup["households"][2]) is not None


def test_handover_page_moves_households_and_follow_ups(client, login, db, setup):
    leaving, to = setup["members"][4], setup["members"][2]
    leaving.left_on = date(2026, 11, 1)
    db.add(leaving)
    db.commit()
    login(setup["official"])
    village = setup["village"].id
    assert "Hộ chưa được bàn giao" in client.get(f"/thon/{village}/phan-cong").get_data(as_text=True)
    url = f"/thon/{village}/phan-cong/ban-giao/{leaving.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Thành Viên Số 5 đang phụ trách 1 hộ và có 1 việc hẹn chưa xong." in page
    assert "Chia đều cho các thành viên còn lại" in page
    assert f'<option value="{leaving.id}"' not in page
    response = client.post_form(url, {"member_id": to.id})
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã bàn giao 1 hộ và 1 việc hẹn của Thành Viên Số 5." in done
    assert "Hộ chưa được bàn giao" not in done
    assert _holder(db, setup["households"][3]) == to.id
    assert db.exec(select(FollowUp.member_id).where(FollowUp.status == FollowUpStatus.OPEN)).all() == [to.id]


def test_household_page_assigns_and_shows_history(client, login, db, setup):
    login(setup["official"])
    h = setup["households"][0]
    url = f"/ho/{h.id}/phan-cong"
    response = client.post_form(url + "?next=//evil.example/x", {"member_id": setup["members"][3].id,
                                                                  "next": "//evil.example/x"})
    assert response.status_code == 302 and response.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "Đã giao hộ T01-0001 cho Thành Viên Số 4." in page
    assert "Đang phụ trách: Thành Viên Số 4" in page
    assert "Thành Viên Số 2" in page and "Người giao: Cán Bộ Xã" in page  # the earlier member, in the history
    again = client.post_form(url, {"member_id": setup["members"][3].id,
                                   "next": f"/thon/{setup['village'].id}/phan-cong"})
    assert again.headers["Location"] == f"/thon/{setup['village'].id}/phan-cong"
    assert "vẫn đang phụ trách hộ này; không có gì thay đổi" in client.get(again.headers["Location"]).get_data(
        as_text=True)
    assert _count(db, Assignment, Assignment.household_id == h.id) == 2


def test_commune_review_page_lists_the_villages_numbers(client, login, setup):
    login(setup["official"])
    body = client.get("/phan-cong").get_data(as_text=True)
    assert f'href="/thon/{setup["village"].id}/phan-cong"' in body
    assert "Thôn Tân Sơn" in body and "Chưa phân công" in body
