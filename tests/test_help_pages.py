"""The user guide (docs/huong-dan) as help pages: every picture it shows exists and every picture taken is shown, each
role's help link opens that role's page, and the picture route serves nothing but the guide's own pictures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldwork.models import Role

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "huong-dan"
PAGES = ["README.md", "thanh-vien.md", "truong-ban.md", "can-bo-xa.md", "quan-tri.md"]
IMAGE_REF = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
PAGE_LINK = re.compile(r"\]\(([a-z0-9-]+\.md)(#[^)]*)?\)")


def _references() -> dict[str, list[tuple[str, str]]]:
    """page file -> [(alt text, picture path as written)]"""
    return {page: IMAGE_REF.findall((GUIDE / page).read_text("utf-8")) for page in PAGES}


# --- the guide's files ---------------------------------------------------------------------------------------------


def test_the_guide_has_one_page_per_role_and_no_stray_page():
    assert sorted(p.name for p in GUIDE.glob("*.md")) == sorted(PAGES)
    for page in PAGES:
        text = (GUIDE / page).read_text("utf-8")
        assert text.startswith("# "), f"{page} starts with its title"
        for target, _anchor in PAGE_LINK.findall(text):
            assert (GUIDE / target).is_file(), f"{page} links to {target}, which does not exist"


def test_every_picture_the_guide_shows_exists_and_has_a_description():
    for page, refs in _references().items():
        for alt, path in refs:
            assert path.startswith("anh/") and path.endswith(".png"), f"{page}: {path} is not in anh/"
            assert (GUIDE / path).is_file(), f"{page} shows {path}, which the screenshot tests did not make"
            assert len(alt.strip()) >= 10, f"{page}: {path} needs a description a screen reader can read"


def test_every_screenshot_is_shown_somewhere_in_the_guide():
    shown = {Path(path).name for refs in _references().values() for _alt, path in refs}
    taken = {p.name for p in (GUIDE / "anh").iterdir()}
    assert taken, "no screenshots: run tests/browser/test_guide_screenshots.py"
    assert taken - shown == set(), "pictures in docs/huong-dan/anh that no guide page shows"


def test_each_role_page_shows_its_own_screens():
    for page, prefix in [("thanh-vien.md", "thanh-vien-"), ("truong-ban.md", "truong-ban-"),
                         ("can-bo-xa.md", "can-bo-xa-"), ("quan-tri.md", "quan-tri-")]:
        names = [Path(path).name for _alt, path in _references()[page]]
        own = [n for n in names if n.startswith(prefix)]
        assert len(own) >= 2, f"{page} shows too few of its role's screens: {names}"
        numbers = [int(re.match(rf"{prefix}(\d+)-", n).group(1)) for n in own]
        assert numbers == sorted(numbers), f"{page}: pictures out of order {own}"


# --- the help pages ------------------------------------------------------------------------------------------------


def test_anyone_can_read_the_guide_before_signing_in(client):
    sign_in = client.get("/dang-nhap").get_data(as_text=True)
    assert 'href="/huong-dan"' in sign_in
    index = client.get("/huong-dan")
    assert index.status_code == 200
    body = index.get_data(as_text=True)
    assert "<h1>Hướng dẫn sử dụng Fieldwork</h1>" in body
    for slug in ("thanh-vien", "truong-ban", "can-bo-xa", "quan-tri"):
        assert f'href="/huong-dan/{slug}"' in body  # the index's links to .md files point at the help pages
    assert ".md\"" not in body

    member_page = client.get("/huong-dan/thanh-vien")
    assert member_page.status_code == 200
    html = member_page.get_data(as_text=True)
    assert "<h1>Hướng dẫn cho thành viên Ban vận động</h1>" in html
    assert 'src="/huong-dan/anh/thanh-vien-1-dang-nhap.png"' in html
    assert 'src="anh/' not in html
    assert "<ol>" in html  # the numbered steps stay numbered
    # Not signed in: the menu's help link leads to the member's page, the one most people need.
    assert client.get("/huong-dan/cua-toi").headers["Location"].endswith("/huong-dan/thanh-vien")


@pytest.mark.parametrize("role, is_head, expected, heading", [
    (Role.MEMBER, False, "thanh-vien", "Hướng dẫn cho thành viên Ban vận động"),
    (Role.MEMBER, True, "truong-ban", "Hướng dẫn cho trưởng Ban vận động"),
    (Role.OFFICIAL, False, "can-bo-xa", "Hướng dẫn cho cán bộ xã"),
    (Role.ADMIN, False, "quan-tri", "Hướng dẫn cho người quản trị hệ thống"),
])
def test_the_help_link_opens_the_page_of_the_users_role(client, login, make_village, make_committee, make_user,
                                                        role, is_head, expected, heading):
    village = make_village()
    _, members = make_committee(village)
    member = members[0] if is_head else members[1]  # the factory's first member is the head
    user = make_user(role, village=village if role == Role.MEMBER else None,
                     member=member if role == Role.MEMBER else None)
    assert login(user).status_code == 302

    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/huong-dan/cua-toi"' in home  # in the menu of every signed-in page
    mine = client.get("/huong-dan/cua-toi")
    assert mine.status_code == 302 and mine.headers["Location"].endswith(f"/huong-dan/{expected}")
    page = client.get(f"/huong-dan/{expected}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "trang của bạn" in html  # the guide's menu marks the reader's own page
    assert '.md"' not in html and 'src="anh/' not in html  # every link and picture points at the help routes
    assert 'href="/huong-dan">mục lục</a>' in html  # back to the index, from the page's own text
    assert html.count("trang của bạn") == 1


def test_a_former_head_gets_the_members_page(client, login, db, make_village, make_committee, make_user):
    from datetime import date

    village = make_village()
    _, members = make_committee(village)
    user = make_user(Role.MEMBER, village=village, member=members[0])
    members[0].left_on = date(2026, 1, 31)
    db.add(members[0])
    db.commit()
    login(user)
    assert client.get("/huong-dan/cua-toi").headers["Location"].endswith("/huong-dan/thanh-vien")


def test_an_unknown_guide_page_is_not_found(client):
    for url in ("/huong-dan/khong-co", "/huong-dan/README", "/huong-dan/thanh-vien.md", "/huong-dan/..%2Fsecurity"):
        assert client.get(url).status_code == 404, url


# --- the pictures --------------------------------------------------------------------------------------------------


def test_a_screenshot_is_served_as_a_png(client):
    response = client.get("/huong-dan/anh/thanh-vien-1-dang-nhap.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.get_data()[:8] == b"\x89PNG\r\n\x1a\n"
    assert response.get_data() == (GUIDE / "anh" / "thanh-vien-1-dang-nhap.png").read_bytes()


@pytest.mark.parametrize("url", [
    "/huong-dan/anh/../README.md",
    "/huong-dan/anh/..%2FREADME.md",
    "/huong-dan/anh/..%2F..%2F..%2Fpyproject.toml",
    "/huong-dan/anh/%2e%2e%2f%2e%2e%2fsecurity.md",
    "/huong-dan/anh/..%5C..%5Cpyproject.toml",
    "/huong-dan/anh/%2Fetc%2Fpasswd",
    "/huong-dan/anh/thanh-vien.md",
    "/huong-dan/anh/.hidden.png",
    "/huong-dan/anh/khong-co.png",
    "/huong-dan/anh/THANH-VIEN-1-DANG-NHAP.PNG",
])
def test_the_picture_route_serves_nothing_outside_the_guides_pictures(client, url):
    response = client.get(url)
    assert response.status_code == 404, url
    body = response.get_data()
    assert b"[project]" not in body and b"root:" not in body and b"# H" not in body


def test_the_readme_shows_a_screenshot_of_the_guide_that_exists():
    readme = (GUIDE.parents[1] / "README.md").read_text("utf-8")
    pictures = IMAGE_REF.findall(readme)
    assert pictures, "the README shows what Fieldwork looks like"
    for _alt, path in pictures:
        assert path.startswith("docs/huong-dan/anh/") and (GUIDE.parents[1] / path).is_file(), path
