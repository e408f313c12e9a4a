"""Search for Vietnamese: case, diacritics, đ, NFC and NFD alike, codes and identifiers, always within scope."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from fieldwork.households import search, services
from fieldwork.models import Person, Role, Sex


@pytest.fixture
def registry(db, make_village, make_user):
    village_a = make_village(name="Thôn Đồng Bông")
    village_b = make_village(name="Thôn Tân Sơn")
    far = make_village(commune_code="00004", name="Tổ dân phố 3")
    official = make_user(Role.OFFICIAL)

    def household(village, code, head, phone=None, people=()):
        h = services.create_household(db, village, actor=official, code=code, head_name=head, phone=phone)
        for name, year, cccd, bhxh in people:
            services.create_person(db, h, actor=official, today=date(2026, 11, 23), full_name=name, birth_year=year,
                                   sex=Sex.MALE, cccd=cccd, bhxh_code=bhxh)
        return h

    households = {
        "duc": household(village_a, "T01-0001", "Nguyễn Văn Đức", "0912345678",
                         [("Nguyễn Văn Đức", 1970, "024070001234", "2400123456"), ("Trần Thị Hương", 1972, None, None)]),
        "huong": household(village_b, "T02-0007", "HƯƠNG THỊ LAN", None, [("Lê Văn Dũng", 1990, None, None)]),
        "far": household(far, "HN-0001", "Nguyễn Văn Đức", None, [("Nguyễn Văn Đức", 1970, None, None)]),
    }
    db.commit()
    return {"a": village_a, "b": village_b, "official": official, **households}


def _names(hits):
    return sorted((h.entity, h.person.full_name if h.person else h.household.head_name) for h in hits)


@pytest.mark.parametrize("query", ["nguyen van duc", "NGUYEN VAN DUC", "Nguyễn Văn Đức", "nguyễn văn đức",
                                   unicodedata.normalize("NFD", "Nguyễn Văn Đức"), "nguyen van d", "duc nguyen"])
def test_name_found_whatever_the_accents_case_or_unicode_form(db, registry, query):
    hits = search.search(db, registry["official"], query)
    assert ("household", "Nguyễn Văn Đức") in _names(hits)
    assert ("person", "Nguyễn Văn Đức") in _names(hits)


def test_unaccented_lowercase_finds_uppercase_accented(db, registry):
    assert ("household", "HƯƠNG THỊ LAN") in _names(search.search(db, registry["official"], "hương"))
    assert ("household", "HƯƠNG THỊ LAN") in _names(search.search(db, registry["official"], "huong"))


def test_d_with_stroke_folds_to_d(db, registry):
    assert ("person", "Lê Văn Dũng") in _names(search.search(db, registry["official"], "đũng"))
    assert ("person", "Lê Văn Dũng") in _names(search.search(db, registry["official"], "DUNG"))


@pytest.mark.parametrize("query", ["T01-0001", "t01 0001", "0912345678", "0912", "024070001234", "2400123456"])
def test_codes_phone_and_identifiers(db, registry, query):
    assert any(h.household.code == "T01-0001" for h in search.search(db, registry["official"], query))


def test_official_never_finds_another_commune(db, registry):
    hits = search.search(db, registry["official"], "nguyen van duc")
    assert all(h.household.code != "HN-0001" for h in hits)


def test_member_finds_only_own_village(db, registry, make_committee, make_user):
    _, members = make_committee(registry["b"])
    member = make_user(Role.MEMBER, village=registry["b"], member=members[0])
    assert search.search(db, member, "nguyen van duc") == []
    assert _names(search.search(db, member, "dung")) == [("person", "Lê Văn Dũng")]


def test_admin_finds_everywhere(db, registry, make_user):
    admin = make_user(Role.ADMIN)
    codes = {h.household.code for h in search.search(db, admin, "nguyen van duc")}
    assert codes == {"T01-0001", "HN-0001"}


def test_archived_household_leaves_results_and_comes_back(db, registry):
    official = registry["official"]
    services.archive_household(db, registry["duc"], actor=official)
    db.commit()
    assert search.search(db, official, "T01-0001") == []
    services.restore_household(db, registry["duc"], actor=official)
    db.commit()
    assert search.search(db, official, "T01-0001")


def test_renamed_person_found_by_new_name_only(db, registry):
    official = registry["official"]
    found = next(h.person for h in search.search(db, official, "tran thi huong") if h.person)
    person = db.get(Person, found.id)  # results are rows of what they show; edits go through the record
    services.update_person(db, person, actor=official, today=date(2026, 11, 23), full_name="Trần Thị Hường")
    db.commit()
    assert search.search(db, official, "huong tran")
    assert search.search(db, official, "tran thi huong")  # folded, Hường and Hương are the same letters
    services.update_person(db, person, actor=official, today=date(2026, 11, 23), full_name="Phạm Thị Mai")
    db.commit()
    assert search.search(db, official, "tran thi") == []


def test_hostile_queries_are_harmless(db, registry):
    for query in ['"', "' OR 1=1 --", "nguyen*", "NEAR(a b)", "a & b | !c", ":*", "()", "\x00", "💥"]:
        assert isinstance(search.search(db, registry["official"], query), list)


def test_search_page_as_you_type_returns_the_partial(client, login, registry):
    login(registry["official"])
    full = client.get("/tim-kiem?q=nguyen+van+duc")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    partial = client.get("/tim-kiem?q=nguyen+van+duc", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "Nguyễn Văn Đức" in body
    assert "024070001234" not in body and "••••••••1234" in body  # masked on lists
    assert "HN-0001" not in body


def test_a_typed_v_or_c_never_matches_the_scope_tokens(db, registry, make_committee, make_user):
    _, members = make_committee(registry["a"])
    member = make_user(Role.MEMBER, village=registry["a"], member=members[0])
    # "Nguyễn Văn Đức" and "Trần Thị Hương" live in this village; only words starting with v or c may match.
    assert {h.person.full_name if h.person else h.household.head_name
            for h in search.search(db, member, "tran v")} == set()
    assert ("person", "Nguyễn Văn Đức") in _names(search.search(db, member, "nguyen v"))
    assert all("Hương" not in (h.person.full_name if h.person else "") for h in search.search(db, member, "v"))


def test_earlier_words_are_whole_the_last_is_a_prefix(db, registry):
    official = registry["official"]
    assert ("person", "Nguyễn Văn Đức") in _names(search.search(db, official, "nguyen van d"))
    assert search.search(db, official, "nguy van duc") == []
