"""Officials see who changed what and when on any household or person in their commune; no one else does."""

from __future__ import annotations

from fieldwork.models import Poverty, Role, User
from tests.reports_world import seed_week


def test_a_household_edit_shows_in_its_history_with_before_and_after(client, login, db, make_village, make_committee,
                                                                      make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    household = world.households[0]
    official = make_user(Role.OFFICIAL, name="Cán Bộ Xã Hà")
    login(official)
    response = client.post_form(f"/ho/{household.id}/sua", {
        "code": household.code, "head_name": "Hoàng Văn Bính", "address": "Xóm Đông", "hamlet_group": "",
        "phone": "", "poverty": Poverty.NEAR_POOR.value, "notes": ""})
    assert response.status_code == 302
    page = client.get(f"/lich-su/ho/{household.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cán Bộ Xã Hà" in body
    first = body.index("head_name")
    assert body.index("Hoàng Văn Bình", first) < body.index("Hoàng Văn Bính", first)  # before, then after
    assert "near_poor" in body and "password_hash" not in body


def test_a_persons_history_holds_their_consent_and_only_officials_in_scope_see_it(
        client, login, db, make_village, make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    person_id = world.people[world.households[0].id][0]
    official = make_user(Role.OFFICIAL, name="Cán Bộ Xã Hà")
    login(official)
    assert client.post_form(f"/nguoi/{person_id}/dong-y", {"note": "Đồng ý bằng lời, có con gái chứng kiến", "agreed": "y"}
                            ).status_code == 302
    body = client.get(f"/lich-su/nguoi/{person_id}").get_data(as_text=True)
    assert "consent" in body and "Đồng ý bằng lời, có con gái chứng kiến" in body
    login(make_user(Role.MEMBER, village=world.village, member=world.members[1]))
    assert client.get(f"/lich-su/nguoi/{person_id}").status_code == 403
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert client.get(f"/lich-su/nguoi/{person_id}").status_code == 404
    assert client.get(f"/lich-su/ho/{world.households[0].id}").status_code == 404
    assert db.get(User, official.id) is not None
