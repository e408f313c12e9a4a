"""Donors: officials add and correct them for their commune; members see the list read-only."""

from __future__ import annotations

from sqlmodel import func, select

from fieldwork.models import AuditEvent, Commune, Donor, DonorKind, Role, Sponsorship

from .sponsorships_data import commune, paid_through, propose  # noqa: F401

NEW_DONOR = {"name": "Hội Doanh nhân trẻ Bắc Ninh", "kind": "mass_organisation", "contact_name": "Bà Nguyễn Thị Hạnh",
             "phone": "0912 345 678", "address": "Số 5 đường Lý Thái Tổ", "email": "hanh@dntbn.vn",
             "consent_public": "y", "notes": ""}


def test_official_adds_a_donor_to_their_commune(client, login, db, commune):
    login(commune["official"])
    response = client.post_form("/nha-tai-tro/moi", NEW_DONOR)
    assert response.status_code == 302
    donor = db.exec(select(Donor).where(Donor.name == NEW_DONOR["name"])).one()
    assert donor.commune_id == commune["official"].commune_id
    assert (donor.kind, donor.phone, donor.consent_public) == (DonorKind.MASS_ORGANISATION, "0912345678", True)
    assert response.headers["Location"].endswith(f"/nha-tai-tro/{donor.id}")
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "donor")).one().action == "create"


def test_bad_donor_input_is_refused_with_the_fix_and_kept(client, login, db, commune):
    login(commune["official"])
    cases = [({"name": ""}, "Hãy nhập tên nhà tài trợ"), ({"phone": "12345"}, "10 chữ số và bắt đầu bằng 0"),
             ({"email": "hanh-at-dntbn"}, "ví dụ ten@congty.vn"),
             ({"name": "ngân hàng chính sách xã hội"}, "Xã đã có nhà tài trợ tên")]
    for over, message in cases:
        response = client.post_form("/nha-tai-tro/moi", {**NEW_DONOR, **over})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and message in body, over
        assert "Bà Nguyễn Thị Hạnh" in body
    assert db.exec(select(func.count(Donor.id))).one() == 2


def test_official_corrects_a_donor(client, login, db, commune):
    login(commune["official"])
    bank = commune["bank"]
    form = client.get(f"/nha-tai-tro/{bank.id}/sua").get_data(as_text=True)
    assert 'value="Ngân hàng Chính sách xã hội"' in form and '<option selected value="bank">' in form
    response = client.post_form(f"/nha-tai-tro/{bank.id}/sua", {**NEW_DONOR, "name": "Ngân hàng CSXH xã Tam Tiến",
                                                                 "kind": "bank", "consent_public": ""})
    assert response.status_code == 302
    db.expire_all()
    donor = db.get(Donor, bank.id)
    assert (donor.name, donor.consent_public, donor.email) == ("Ngân hàng CSXH xã Tam Tiến", False, "hanh@dntbn.vn")
    audit = db.exec(select(AuditEvent).where(AuditEvent.entity == "donor", AuditEvent.action == "update")).one()
    assert audit.before["name"] == "Ngân hàng Chính sách xã hội"


def test_donor_page_shows_their_sponsorships_and_totals(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["company"], amount="1000000")
    propose(client, commune["people"][1], commune["company"], scheme="bhyt_hgd")
    first = db.exec(select(func.min(Sponsorship.id))).one()
    paid_through(client, first)
    page = client.get(f"/nha-tai-tro/{commune['company'].id}").get_data(as_text=True)
    assert "Hoàng Văn Nam" in page and "Lò Thị Sương" in page
    assert "1.409.860 đ" in page  # promised: 1,000,000 + 409,860
    assert "1.000.000 đ" in page and "thu-cam-on.pdf" in page
    assert "thu-cam-on.pdf" not in client.get(f"/nha-tai-tro/{commune['bank'].id}").get_data(as_text=True)


def test_donor_list_members_read_only(client, login, commune):
    login(commune["official"])
    page = client.get("/nha-tai-tro").get_data(as_text=True)
    assert "Công ty TNHH Minh Phát" in page and "/nha-tai-tro/moi" in page
    login(commune["member"])
    page = client.get("/nha-tai-tro").get_data(as_text=True)
    assert "Công ty TNHH Minh Phát" in page and "/nha-tai-tro/moi" not in page
    assert f'/nha-tai-tro/{commune["bank"].id}"' not in page
    assert client.get("/nha-tai-tro/moi").status_code == 403
    assert client.get(f"/nha-tai-tro/{commune['bank'].id}").status_code == 403
    assert client.post_form(f"/nha-tai-tro/{commune['bank'].id}/sua", NEW_DONOR).status_code == 403


def test_donors_are_scoped_by_commune(client, login, db, make_user, commune):
    other_commune = db.exec(select(Commune).where(Commune.code == "00004")).one()
    foreign = Donor(commune_id=other_commune.id, name="Quỹ Từ Thiện Ba Đình", kind=DonorKind.OTHER_ORGANISATION)
    db.add(foreign)
    db.commit()
    login(commune["official"])
    assert "Quỹ Từ Thiện Ba Đình" not in client.get("/nha-tai-tro").get_data(as_text=True)
    for url in (f"/nha-tai-tro/{foreign.id}", f"/nha-tai-tro/{foreign.id}/sua", f"/nha-tai-tro/{foreign.id}/thu-cam-on.pdf"):
        assert client.get(url).status_code == 404, url
    assert client.post_form(f"/nha-tai-tro/{foreign.id}/sua", NEW_DONOR).status_code == 404
    login(make_user(Role.ADMIN))
    page = client.get("/nha-tai-tro").get_data(as_text=True)
    assert "Quỹ Từ Thiện Ba Đình" in page and "Công ty TNHH Minh Phát" in page


def test_admin_chooses_the_commune_of_a_new_donor(client, login, db, make_user, commune):
    login(make_user(Role.ADMIN))
    form = client.get("/nha-tai-tro/moi").get_data(as_text=True)
    assert "Xã Tam Tiến" in form
    commune_id = commune["village"].commune_id
    assert client.post_form("/nha-tai-tro/moi", {**NEW_DONOR, "commune_id": str(commune_id)}).status_code == 302
    assert db.exec(select(Donor.commune_id).where(Donor.name == NEW_DONOR["name"])).one() == commune_id
