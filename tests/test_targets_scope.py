"""Who may open which target page: every new route, for every kind of user."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from fieldwork.models import Target
from tests.targets_data import commune, make_target  # noqa: F401

YEAR = date.today().year


@pytest.fixture
def targets(db, commune):
    cid = commune["a"].commune_id
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    whole = make_target(db, cid, start=start, end=end)
    part_a = make_target(db, cid, start=start, end=end, value=15, village_id=commune["a"].id, parent=whole)
    part_b = make_target(db, cid, start=start, end=end, value=5, village_id=commune["b"].id, parent=whole)
    share = make_target(db, cid, start=start, end=end, value=4, village_id=commune["a"].id,
                        member_id=commune["members_a"][1].id, parent=part_a)
    return {"whole": whole, "part_a": part_a, "part_b": part_b, "share": share}


def _pages(t) -> list[tuple[str, str]]:
    return [("GET", "/chi-tieu"), ("GET", "/chi-tieu/moi"), ("POST", "/chi-tieu/moi"),
            ("GET", f"/chi-tieu/{t['whole'].id}"), ("GET", f"/chi-tieu/{t['whole'].id}/chia"),
            ("POST", f"/chi-tieu/{t['whole'].id}/chia"), ("GET", f"/chi-tieu/{t['whole'].id}/sua"),
            ("POST", f"/chi-tieu/{t['whole'].id}/sua"), ("GET", "/tien-do"), ("GET", "/thi-dua"),
            ("GET", "/thi-dua.pdf")]


def _call(client, method, url, data=None):
    return client.get(url) if method == "GET" else client.post_form(url, data or {})


def test_anonymous_is_sent_to_sign_in_everywhere(client, targets):
    for method, url in _pages(targets):
        response = _call(client, method, url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap"), url


def test_member_on_official_pages_gets_403(client, login, commune, targets):
    login(commune["member_a"])
    for method, url in [("GET", "/chi-tieu/moi"), ("POST", "/chi-tieu/moi"), ("GET", f"/chi-tieu/{targets['part_a'].id}/sua"),
                        ("POST", f"/chi-tieu/{targets['part_a'].id}/sua"), ("GET", "/thi-dua"), ("GET", "/thi-dua.pdf"),
                        ("GET", f"/chi-tieu/{targets['part_a'].id}"), ("GET", f"/chi-tieu/{targets['part_a'].id}/chia"),
                        ("POST", f"/chi-tieu/{targets['part_a'].id}/chia")]:
        assert _call(client, method, url).status_code == 403, url
    # The commune's list sends a member to their own progress; commune and other villages' targets do not exist.
    response = client.get("/chi-tieu")
    assert response.status_code == 302 and response.headers["Location"] == "/tien-do"
    assert client.get("/tien-do").status_code == 200
    for target in ("whole", "part_b"):
        assert client.get(f"/chi-tieu/{targets[target].id}").status_code == 404
        assert client.get(f"/chi-tieu/{targets[target].id}/chia").status_code == 404


def test_official_of_another_commune_gets_404_and_writes_nothing(client, login, db, commune, targets):
    login(commune["outsider"])
    whole = targets["whole"].id
    for method, url in [("GET", f"/chi-tieu/{whole}"), ("GET", f"/chi-tieu/{whole}/chia"), ("GET", f"/chi-tieu/{whole}/sua"),
                        ("GET", f"/chi-tieu/{targets['part_a'].id}"), ("GET", f"/chi-tieu/{targets['part_a'].id}/chia")]:
        assert _call(client, method, url).status_code == 404, url
    before = db.exec(select(func.count(Target.id))).one()
    form = {f"p{commune['a'].id}": "1", f"p{commune['b'].id}": "1"}
    assert client.post_form(f"/chi-tieu/{whole}/chia", form).status_code == 404
    assert client.post_form(f"/chi-tieu/{whole}/sua", {"value": "1", "period_kind": "year", "period_start": f"{YEAR}-01-01",
                                                       "period_end": f"{YEAR}-12-31"}).status_code == 404
    assert db.exec(select(func.count(Target.id))).one() == before
    db.expire_all()
    assert db.get(Target, whole).value == 20
    assert "Xã chưa có chỉ tiêu nào" in client.get("/chi-tieu").get_data(as_text=True)
    for url in ("/", "/thi-dua"):
        assert "Thôn Đồng Bông" not in client.get(url).get_data(as_text=True), url


def test_head_splits_own_village_only(client, login, commune, targets):
    login(commune["head_a"])
    assert client.get(f"/chi-tieu/{targets['part_a'].id}").status_code == 200
    assert client.get(f"/chi-tieu/{targets['part_a'].id}/chia").status_code == 200
    assert client.get(f"/chi-tieu/{targets['share'].id}").status_code == 200
    assert client.get(f"/chi-tieu/{targets['share'].id}/chia").status_code == 404  # a member's share is not split
    assert client.get(f"/chi-tieu/{targets['whole'].id}/chia").status_code == 404  # the commune's is not theirs
    assert client.get(f"/chi-tieu/{targets['part_a'].id}/sua").status_code == 403
    login(commune["head_b"])
    assert client.get(f"/chi-tieu/{targets['part_a'].id}/chia").status_code == 404
    assert client.post_form(f"/chi-tieu/{targets['part_a'].id}/chia", {}).status_code == 404
    assert client.get(f"/chi-tieu/{targets['part_a'].id}").status_code == 404
    assert client.get(f"/chi-tieu/{targets['part_b'].id}/chia").status_code == 200


def test_official_and_admin_open_every_page(client, login, commune, targets):
    cid = commune["a"].commune_id
    for who, suffix in (("official", ""), ("admin", f"?xa={cid}")):
        login(commune[who])
        for url in ("/chi-tieu", "/chi-tieu/moi", "/thi-dua", "/thi-dua.pdf"):
            response = client.get(url + suffix)
            assert response.status_code == 200, (who, url)
        for target in targets.values():
            assert client.get(f"/chi-tieu/{target.id}").status_code == 200
            assert client.get(f"/chi-tieu/{target.id}/sua").status_code == 200
        assert "Thôn Đồng Bông" in client.get(f"/chi-tieu/{targets['whole'].id}").get_data(as_text=True)
        assert "Người tham gia BHYT hộ gia đình mới" in client.get("/chi-tieu" + suffix).get_data(as_text=True)
