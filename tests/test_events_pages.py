"""Outreach events: logging, correcting and listing meetings, broadcasts and ceremonies."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from fieldwork.models import OutreachEvent, OutreachKind
from fieldwork.text import local_today

from .events_world import add_event, audits, count_events, form_data, world  # noqa: F401


def test_official_logs_a_village_meeting(client, login, db, world):
    login(world.official)
    page = client.get("/hoat-dong/moi").get_data(as_text=True)
    assert "Toàn xã" in page and "Thôn Đông" in page and "Thôn Tây" in page and "Thôn Xa" not in page
    response = client.post_form("/hoat-dong/moi", form_data(world.village))
    event = db.exec(select(OutreachEvent)).one()
    assert response.status_code == 302 and response.headers["Location"] == f"/hoat-dong/{event.id}"
    assert (event.commune_id, event.village_id, event.kind) == (world.village.commune_id, world.village.id,
                                                                OutreachKind.MEETING)
    assert (event.held_on, event.attendance, event.created_by_id) == (local_today() - timedelta(days=1), 45,
                                                                      world.official.id)
    assert event.speakers == "Đ/c Nguyễn Văn A - Trưởng ban; Cán bộ BHXH huyện" and event.notes is None
    assert [a.after["title"] for a in audits(db, "create")] == ["Hội nghị khách hàng thôn Đông"]
    detail = client.get(f"/hoat-dong/{event.id}").get_data(as_text=True)
    assert "Hội nghị khách hàng thôn Đông" in detail and "Cán bộ BHXH huyện" in detail and "Hội nghị, họp thôn" in detail
    assert "Thôn Đông" in detail and "Cán Bộ Xã" in detail and f"/hoat-dong/{event.id}/sua" in detail


def test_official_logs_a_commune_wide_broadcast_without_a_count(client, login, db, world):
    login(world.official)
    response = client.post_form("/hoat-dong/moi", form_data(
        None, kind="broadcast", title="Phát loa tuyên truyền BHXH tự nguyện", attendance="",
        held_on=(local_today() - timedelta(days=2)).strftime("%d/%m/%Y"), notes="Phát 3 buổi sáng\nthứ 2, 4, 6"))
    assert response.status_code == 302
    event = db.exec(select(OutreachEvent)).one()
    assert (event.village_id, event.kind, event.attendance) == (None, OutreachKind.BROADCAST, None)
    assert event.held_on == local_today() - timedelta(days=2)
    detail = client.get(f"/hoat-dong/{event.id}").get_data(as_text=True)
    assert "Toàn xã" in detail and "Không đếm" in detail


def test_head_logs_events_of_their_own_village(client, login, db, world):
    login(world.head)
    page = client.get("/hoat-dong/moi").get_data(as_text=True)
    assert "Thôn Đông" in page and "Toàn xã" not in page and "Thôn Tây" not in page
    assert client.post_form("/hoat-dong/moi", form_data(world.village, kind="ceremony",
                                                        title="Lễ trao sổ BHXH")).status_code == 302
    event = db.exec(select(OutreachEvent)).one()
    assert (event.village_id, event.kind, event.created_by_id) == (world.village.id, OutreachKind.CEREMONY,
                                                                   world.head.id)


def test_edit_keeps_values_and_audits_what_changed(client, login, db, world):
    event = add_event(db, world, world.village, title="Họp thôn tháng 11", attendance=30)
    login(world.official)
    page = client.get(f"/hoat-dong/{event.id}/sua").get_data(as_text=True)
    assert 'value="Họp thôn tháng 11"' in page and 'value="30"' in page
    assert f'<option selected value="{world.village.id}">' in page
    response = client.post_form(f"/hoat-dong/{event.id}/sua", form_data(
        world.village, title="Hội nghị khách hàng tháng 11", attendance="52", held_on=event.held_on.isoformat(),
        speakers=""))
    assert response.status_code == 302
    db.expire_all()
    event = db.get(OutreachEvent, event.id)
    assert (event.title, event.attendance, event.speakers) == ("Hội nghị khách hàng tháng 11", 52, None)
    [audit] = audits(db, "update")
    assert audit.user_id == world.official.id
    assert audit.before == {"title": "Họp thôn tháng 11", "attendance": 30}
    assert audit.after == {"title": "Hội nghị khách hàng tháng 11", "attendance": 52}


def test_head_corrects_their_village_event_logged_by_the_commune(client, login, db, world):
    event = add_event(db, world, world.village, attendance=None)
    login(world.head)
    response = client.post_form(f"/hoat-dong/{event.id}/sua", form_data(world.village, title=event.title,
                                                                         attendance="38"))
    assert response.status_code == 302
    db.expire_all()
    assert db.get(OutreachEvent, event.id).attendance == 38


def test_list_is_newest_first_and_filters_by_kind_and_village(client, login, db, world):
    today = local_today()
    add_event(db, world, world.village, held_on=today - timedelta(days=20), title="Họp thôn Đông")
    add_event(db, world, None, held_on=today - timedelta(days=5), kind=OutreachKind.BROADCAST, title="Phát loa toàn xã")
    add_event(db, world, world.other_village, held_on=today - timedelta(days=10), kind=OutreachKind.CEREMONY,
              title="Lễ trao thẻ thôn Tây")
    add_event(db, world, world.far_village, commune_id=world.far_village.commune_id, title="Họp xã khác")
    login(world.official)
    page = client.get("/hoat-dong").get_data(as_text=True)
    assert "<html" in page and "3 hoạt động" in page and "Họp xã khác" not in page
    assert page.index("Phát loa toàn xã") < page.index("Lễ trao thẻ thôn Tây") < page.index("Họp thôn Đông")
    partial = client.get("/hoat-dong?loai=broadcast", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "Phát loa toàn xã" in body and "Họp thôn Đông" not in body
    assert "HX-Request" in partial.headers["Vary"]
    by_village = client.get(f"/hoat-dong?thon={world.other_village.id}").get_data(as_text=True)
    assert "Lễ trao thẻ thôn Tây" in by_village and "Phát loa toàn xã" not in by_village
    assert f'<option value="{world.other_village.id}" selected>' in by_village
    commune_wide = client.get("/hoat-dong?thon=xa").get_data(as_text=True)
    assert "Phát loa toàn xã" in commune_wide and "Họp thôn Đông" not in commune_wide
    nonsense = client.get(f"/hoat-dong?thon={world.far_village.id}&loai=khong-co").get_data(as_text=True)
    assert "3 hoạt động" in nonsense  # filters outside the user's scope are ignored, never widen it


def test_member_lists_their_village_and_commune_wide_events(client, login, db, world):
    add_event(db, world, world.village, title="Họp thôn Đông")
    add_event(db, world, None, title="Hội nghị toàn xã")
    add_event(db, world, world.other_village, title="Họp thôn Tây")
    login(world.member)
    page = client.get("/hoat-dong").get_data(as_text=True)
    assert "Họp thôn Đông" in page and "Hội nghị toàn xã" in page and "Họp thôn Tây" not in page
    assert "Ghi hoạt động mới" not in page  # only the head and officials log events
    login(world.head)
    assert "Ghi hoạt động mới" in client.get("/hoat-dong").get_data(as_text=True)


def test_upcoming_events_are_marked(client, login, db, world):
    add_event(db, world, world.village, held_on=local_today() + timedelta(days=7), title="Hội nghị sắp tới",
              attendance=None)
    login(world.official)
    assert "Sắp tổ chức" in client.get("/hoat-dong").get_data(as_text=True)


def test_list_pages(client, login, db, world):
    for i in range(31):
        add_event(db, world, world.village, held_on=date(2026, 1, 1) + timedelta(days=i), title=f"Họp số {i:02d}")
    login(world.official)
    first = client.get("/hoat-dong").get_data(as_text=True)
    assert "Họp số 30" in first and "Họp số 00" not in first and "trang 1/2" in first
    second = client.get("/hoat-dong?trang=2").get_data(as_text=True)
    assert "Họp số 00" in second and "Họp số 30" not in second
