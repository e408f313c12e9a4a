"""Scope for every sponsorship route: signed out → sign-in page; a member asking for an official's step → 403; another
commune's official, or a member of another village → 404, as for something that does not exist."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldwork.models import Role, Sponsorship

from .sponsorships_data import commune, paid_through, propose, today_iso  # noqa: F401

NAM, SUONG = "<strong>Hoàng Văn Nam</strong>", "<strong>Lò Thị Sương</strong>"  # as beneficiaries on a list


@pytest.fixture
def sponsored(client, login, db, commune):
    """One sponsorship per state worth asking about: proposed (Nam) and paid (Sương), by the company."""
    login(commune["official"])
    propose(client, commune["people"][0], commune["company"])
    propose(client, commune["people"][1], commune["company"], scheme="bhyt_hgd")
    proposed, paid = db.exec(select(Sponsorship).order_by(Sponsorship.id)).all()
    assert paid_through(client, paid.id).status_code == 302
    client.delete_cookie("session")  # signed out
    client.delete_cookie("remember_token")
    return {**commune, "proposed": proposed, "paid": paid}


def _routes(s):
    donor, person, proposed, paid = s["company"].id, s["people"][0].id, s["proposed"].id, s["paid"].id
    gets = ["/nha-tai-tro", "/nha-tai-tro/moi", f"/nha-tai-tro/{donor}", f"/nha-tai-tro/{donor}/sua",
            f"/nha-tai-tro/{donor}/thu-cam-on.pdf", "/tai-tro", "/tai-tro/can-ho-tro", f"/nguoi/{person}/tai-tro/moi",
            f"/tai-tro/{proposed}"]
    posts = [("/nha-tai-tro/moi", {"name": "X", "kind": "person"}), (f"/nha-tai-tro/{donor}/sua", {"name": "X", "kind": "person"}),
             (f"/nguoi/{person}/tai-tro/moi", {"donor_id": str(donor), "scheme": "bhxh_tn", "months": "12",
                                               "from_month": "2026-12", "income": "1500000"}),
             (f"/tai-tro/{proposed}/duyet", {}), (f"/tai-tro/{paid}/da-nop", {"paid_on": today_iso()}),
             (f"/tai-tro/{paid}/da-trao", {"handed_over_on": today_iso()}),
             (f"/tai-tro/{paid}/ket-thuc", {"ended_on": today_iso()}), (f"/tai-tro/{proposed}/huy", {"reason": "Thử"})]
    return gets, posts


def _unchanged(db, s) -> None:
    db.expire_all()
    assert db.get(Sponsorship, s["proposed"].id).status.value == "proposed"
    assert db.get(Sponsorship, s["paid"].id).status.value == "paid"


def test_signed_out_goes_to_the_sign_in_page(client, db, sponsored):
    gets, posts = _routes(sponsored)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap"), url
    for url, data in posts:
        response = client.post_form(url, data)
        assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap"), url
    _unchanged(db, sponsored)


def test_another_communes_official_finds_nothing(client, login, db, make_user, sponsored):
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    gets, posts = _routes(sponsored)
    for url in gets[2:5] + gets[7:]:
        assert client.get(url).status_code == 404, url
    for url, data in posts[1:]:
        assert client.post_form(url, data).status_code == 404, url
    for url in ("/tai-tro", "/nha-tai-tro", "/tai-tro/can-ho-tro"):
        body = client.get(url).get_data(as_text=True)
        assert "Hoàng Văn Nam" not in body and "Công ty TNHH Minh Phát" not in body, url
    _unchanged(db, sponsored)


def test_a_member_of_another_village_finds_nothing(client, login, db, make_village, make_committee, make_user,
                                                   sponsored):
    village = make_village(name="Thôn Tân Sơn")
    _, members = make_committee(village)
    login(make_user(Role.MEMBER, village=village, member=members[1]))
    for url in (f"/nguoi/{sponsored['people'][0].id}/tai-tro/moi", f"/tai-tro/{sponsored['proposed'].id}"):
        assert client.get(url).status_code == 404, url
    _gets, posts = _routes(sponsored)
    for url, data in posts[2:]:
        assert client.post_form(url, data).status_code in (403, 404), url
    assert client.post_form(posts[3][0], {}).status_code == 403  # approving is for the commune, whoever asks
    assert "Hoàng Văn Nam" not in client.get("/tai-tro").get_data(as_text=True)
    _unchanged(db, sponsored)


def test_a_member_of_the_village_not_responsible_may_look_but_not_act(client, login, db, sponsored):
    login(sponsored["other_member"])
    assert client.get(f"/tai-tro/{sponsored['proposed'].id}").status_code == 200
    assert "Hoàng Văn Nam" not in client.get("/tai-tro").get_data(as_text=True)  # the list: their households only
    _gets, posts = _routes(sponsored)
    for url, data in posts[2:]:
        assert client.post_form(url, data).status_code == 403, url
    _unchanged(db, sponsored)


def test_the_responsible_member_sees_their_sponsorships_but_not_the_officials_pages(client, login, db, sponsored):
    login(sponsored["member"])
    listing = client.get("/tai-tro").get_data(as_text=True)
    assert "Hoàng Văn Nam" in listing and "Lò Thị Sương" in listing
    for url in ("/nha-tai-tro/moi", f"/nha-tai-tro/{sponsored['company'].id}",
                f"/nha-tai-tro/{sponsored['company'].id}/sua", f"/nha-tai-tro/{sponsored['company'].id}/thu-cam-on.pdf"):
        assert client.get(url).status_code == 403, url
    assert client.post_form(f"/tai-tro/{sponsored['proposed'].id}/duyet").status_code == 403
    _unchanged(db, sponsored)


def test_the_list_filters_and_totals(client, login, db, sponsored):
    login(sponsored["official"])
    everything = client.get("/tai-tro").get_data(as_text=True)
    # 2,376,000 (Nam's book) + 409,860 (Sương's card)
    assert "2.785.860 đ" in everything and NAM in everything and SUONG in everything
    cards = client.get("/tai-tro?loai=bhyt_hgd", headers={"HX-Request": "true"})
    body = cards.get_data(as_text=True)
    assert cards.status_code == 200 and "<html" not in body and "HX-Request" in cards.headers["Vary"]
    assert "409.860 đ" in body and SUONG in body and NAM not in body
    proposed = client.get("/tai-tro?trang-thai=proposed").get_data(as_text=True)
    assert NAM in proposed and SUONG not in proposed
    client.post_form(f"/tai-tro/{sponsored['proposed'].id}/huy", {"reason": "Nhà tài trợ rút lại"})
    assert NAM not in client.get("/tai-tro").get_data(as_text=True)
    assert NAM in client.get("/tai-tro?trang-thai=cancelled").get_data(as_text=True)
