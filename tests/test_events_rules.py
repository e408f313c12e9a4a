"""Outreach events: what the form refuses (422, values kept, nothing written) and who may see and change what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldwork.models import OutreachEvent
from fieldwork.text import local_today

from .events_world import add_event, audits, count_events, form_data, world  # noqa: F401


def _days(n: int) -> str:
    return (local_today() + timedelta(days=n)).isoformat()


class DaysAhead(int):
    """A date counted from the day the test runs, not the day it was collected: the suite takes ~30 min and may
    cross Vietnam's midnight (a date computed at import then sits one day nearer)."""

    def __str__(self) -> str:
        return _days(self)


BAD = [
    ("held_on", DaysAhead(31), "Chỉ ghi trước hoạt động sắp tổ chức trong vòng 30 ngày"),
    ("held_on", "2025-06-30", "Ngày tổ chức phải từ 01/07/2025 trở đi"),
    ("held_on", "31/02/2026", "Ngày không hợp lệ"),
    ("held_on", "", "Hãy nhập ngày tổ chức"),
    ("attendance", "-3", "Số người tham dự phải là số nguyên từ 0 đến 100.000"),
    ("attendance", "khoảng 40", "Số người tham dự phải là số nguyên, ví dụ 45"),
    ("title", "   ", "Hãy nhập tên hoạt động"),
    ("title", "H" * 201, "Tên hoạt động dài tối đa 200 ký tự"),
    ("kind", "party", "Hãy chọn loại hoạt động trong danh sách"),
    ("village", "", "Hãy chọn thôn tổ chức hoạt động"),
]


@pytest.mark.parametrize("name, value, message", BAD)
def test_bad_input_is_refused_with_the_fix_and_writes_nothing(client, login, db, world, name, value, message):
    login(world.official)
    value = str(value)
    response = client.post_form("/hoat-dong/moi", form_data(world.village, **{name: value},
                                                            **({"notes": "Ghi chú giữ lại"})))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    assert "Ghi chú giữ lại" in body and "Cán bộ BHXH huyện" in body  # what was typed is kept
    assert count_events(db) == 0 and audits(db, "create") == []


def test_thirty_days_ahead_is_the_limit(client, login, db, world):
    login(world.official)
    assert client.post_form("/hoat-dong/moi", form_data(world.village, held_on=_days(30))).status_code == 302
    assert count_events(db) == 1


def test_village_of_another_commune_is_refused(client, login, db, world):
    login(world.official)
    response = client.post_form("/hoat-dong/moi", form_data(world.far_village, title="Họp thôn xã khác"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Thôn đã chọn không thuộc xã của bạn" in body
    assert 'value="Họp thôn xã khác"' in body and count_events(db) == 0


def test_head_may_not_log_for_another_village_or_the_commune(client, login, db, world):
    login(world.head)
    for village in (world.other_village, None):
        response = client.post_form("/hoat-dong/moi", form_data(village))
        assert response.status_code == 422
        assert "Trưởng ban chỉ ghi hoạt động của thôn mình" in response.get_data(as_text=True)
    assert count_events(db) == 0


def test_bad_edit_changes_nothing(client, login, db, world):
    event = add_event(db, world, world.village, title="Họp thôn", attendance=30)
    login(world.official)
    response = client.post_form(f"/hoat-dong/{event.id}/sua", form_data(world.village, title="Họp thôn mới",
                                                                         attendance="-1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="Họp thôn mới"' in body and 'value="-1"' in body
    db.expire_all()
    assert (db.get(OutreachEvent, event.id).title, db.get(OutreachEvent, event.id).attendance) == ("Họp thôn", 30)
    assert audits(db, "update") == []


ROUTES = ["/hoat-dong", "/hoat-dong/moi", "/hoat-dong/{id}", "/hoat-dong/{id}/sua"]


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_is_sent_to_login(client, db, world, route):
    event = add_event(db, world, world.village)
    response = client.get(route.format(id=event.id))
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")
    post = client.post(route.format(id=event.id), data={})
    assert post.status_code in (302, 400, 405)  # never a write without a login
    assert count_events(db) == 1


@pytest.mark.parametrize("who", ["other_member", "far_official"])
def test_village_events_are_invisible_outside_scope(client, login, db, world, who):
    event = add_event(db, world, world.village, title="Họp thôn Đông riêng")
    login(getattr(world, who))
    assert client.get(f"/hoat-dong/{event.id}").status_code == 404
    assert client.get(f"/hoat-dong/{event.id}/sua").status_code == 404
    assert client.post_form(f"/hoat-dong/{event.id}/sua", form_data(world.village, title="Đổi")).status_code == 404
    assert "Họp thôn Đông riêng" not in client.get("/hoat-dong").get_data(as_text=True)


def test_official_of_another_commune_sees_nothing_of_this_one(client, login, db, world):
    event = add_event(db, world, None, title="Hội nghị toàn xã")
    login(world.far_official)
    assert client.get(f"/hoat-dong/{event.id}").status_code == 404
    assert client.get(f"/hoat-dong/{event.id}/sua").status_code == 404
    assert "Hội nghị toàn xã" not in client.get("/hoat-dong").get_data(as_text=True)


@pytest.mark.parametrize("who", ["head", "member"])
def test_members_may_read_but_not_edit_commune_wide_events(client, login, db, world, who):
    event = add_event(db, world, None, title="Hội nghị toàn xã")
    login(getattr(world, who))
    page = client.get(f"/hoat-dong/{event.id}")
    assert page.status_code == 200 and f"/hoat-dong/{event.id}/sua" not in page.get_data(as_text=True)
    assert client.get(f"/hoat-dong/{event.id}/sua").status_code == 403
    assert client.post_form(f"/hoat-dong/{event.id}/sua", form_data(None, title="Đổi")).status_code == 403
    db.expire_all()
    assert db.get(OutreachEvent, event.id).title == "Hội nghị toàn xã"


def test_only_heads_and_officials_log_and_edit(client, login, db, world):
    event = add_event(db, world, world.village)
    login(world.member)
    assert client.get(f"/hoat-dong/{event.id}").status_code == 200
    assert client.get("/hoat-dong/moi").status_code == 403
    assert client.post_form("/hoat-dong/moi", form_data(world.village)).status_code == 403
    assert client.get(f"/hoat-dong/{event.id}/sua").status_code == 403
    login(world.admin)  # admins read the whole deployment, but events are logged by the commune and the villages
    assert client.get(f"/hoat-dong/{event.id}").status_code == 200
    assert client.get("/hoat-dong/moi").status_code == 403
    login(world.head)
    assert client.get(f"/hoat-dong/{event.id}/sua").status_code == 200
    assert count_events(db) == 1


def test_a_head_who_left_the_committee_no_longer_logs(client, login, db, world):
    head = world.members[0]
    head.left_on = local_today()
    db.add(head)
    db.commit()
    login(world.head)
    assert client.get("/hoat-dong/moi").status_code == 403
