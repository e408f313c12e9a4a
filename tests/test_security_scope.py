"""Scope: a member sees only their village, an official only their commune; out of scope is a 404."""

from __future__ import annotations

import pytest

from fieldwork.models import Role


@pytest.fixture
def two_villages(make_village, make_committee, make_household):
    village_a = make_village(name="Thôn Đồng Bông")
    village_b = make_village(name="Thôn Tân Sơn")
    _, members_a = make_committee(village_a)
    _, members_b = make_committee(village_b)
    return {
        "a": village_a,
        "b": village_b,
        "member_a": members_a[1],
        "household_a": make_household(village_a, assigned_to=members_a[1], head_name="Lê Văn Đạt"),
        "household_b": make_household(village_b, assigned_to=members_b[1], head_name="Phạm Thị Yến"),
    }


def test_member_sees_own_village_household(client, login, make_user, two_villages):
    user = make_user(Role.MEMBER, village=two_villages["a"], member=two_villages["member_a"])
    login(user)
    response = client.get(f"/ho/{two_villages['household_a'].id}")
    assert response.status_code == 200
    assert "Lê Văn Đạt" in response.get_data(as_text=True)


def test_member_cannot_see_other_village_household(client, login, make_user, two_villages):
    user = make_user(Role.MEMBER, village=two_villages["a"], member=two_villages["member_a"])
    login(user)
    response = client.get(f"/ho/{two_villages['household_b'].id}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Phạm Thị Yến" not in body
    assert "Không tìm thấy trang" in body
    # The same answer as for a household that does not exist at all.
    assert client.get("/ho/999999").status_code == 404


def test_official_sees_own_commune_but_not_another(client, login, make_user, make_village, make_household,
                                                   two_villages):
    official = make_user(Role.OFFICIAL, commune_code="07264")
    elsewhere = make_village(commune_code="00004", name="Tổ dân phố số 1")  # Phường Ba Đình, Hà Nội
    foreign = make_household(elsewhere, head_name="Hoàng Minh Khánh")
    login(official)
    assert client.get(f"/ho/{two_villages['household_b'].id}").status_code == 200
    assert client.get(f"/ho/{foreign.id}").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "Thôn Đồng Bông" in home and "Tổ dân phố số 1" not in home


def test_admin_sees_every_commune(client, login, make_user, make_village, make_household):
    admin = make_user(Role.ADMIN)
    foreign = make_household(make_village(commune_code="00004"))
    login(admin)
    assert client.get(f"/ho/{foreign.id}").status_code == 200


def test_member_home_lists_only_their_assigned_households(client, login, make_user, make_household,
                                                         two_villages):
    other_member_household = make_household(two_villages["a"], head_name="Vũ Thị Thu")
    user = make_user(Role.MEMBER, village=two_villages["a"], member=two_villages["member_a"])
    login(user)
    home = client.get("/").get_data(as_text=True)
    assert "Lê Văn Đạt" in home
    assert "Vũ Thị Thu" not in home  # same village, not assigned to this member
    assert other_member_household.id is not None
