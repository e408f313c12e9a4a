"""The installable app and what keeps it light: manifest, service worker, versioned and gzipped assets, and the
pages the phone may keep offline (only the member's own)."""

from __future__ import annotations

import gzip
import re

import pytest

from fieldwork.models import Role

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def field(make_village, make_committee, make_user, make_household):
    village = make_village()
    _, members = make_committee(village)
    user = make_user(Role.MEMBER, village=village, member=members[1])
    mine = make_household(village, assigned_to=members[1], head_name="Nguyễn Văn Đức")
    theirs = make_household(village, assigned_to=members[2], head_name="Trần Thị Hương")
    return {"user": user, "mine": mine, "theirs": theirs, "official": make_user(Role.OFFICIAL)}


def test_the_manifest_makes_an_installable_vietnamese_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "Fieldwork — Vận động BHXH, BHYT" and manifest["lang"] == "vi"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["theme_color"] == "#0b5d3b"
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable"), ("any", "any")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_is_served_from_the_root_with_the_current_shell(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript" and response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    shell = re.search(r"var PRECACHE = (\[.*?\]);", body).group(1)
    for url in re.findall(r'"([^"]+)"', shell):
        assert client.get(url).status_code == 200, url
    assert re.search(r"/static/js/offline-queue\.js\?v=[0-9a-f]{12}", body)


def test_pages_link_the_manifest_and_versioned_scripts(client, login, field):
    login(field["user"])
    page = client.get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert re.search(r'src="/static/js/offline\.js\?v=[0-9a-f]{12}" data-sw="/sw.js"', page)
    assert 'id="offline-status"' in page and "Đang ngoại tuyến — dữ liệu cập nhật lúc {time}" in page


def test_versioned_static_files_are_cached_for_a_year_and_gzipped(client):
    page = client.get("/dang-nhap").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page).group(1)
    response = client.get(css, headers=GZIP)
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip"
    with open("static/css/app.css", "rb") as fh:
        assert gzip.decompress(response.data) == fh.read()
    stale = client.get("/static/css/app.css?v=000000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_html_is_gzipped_only_for_browsers_that_accept_it(client, login, field):
    login(field["user"])
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert "Nguyễn Văn Đức" in gzip.decompress(zipped.data).decode()


def test_only_the_members_worklist_and_own_households_may_be_kept_offline(client, login, field):
    login(field["user"])
    owner = str(field["user"].id)
    assert client.get("/").headers.get("X-Fieldwork-Offline") == owner
    assert client.get(f"/ho/{field['mine'].id}").headers.get("X-Fieldwork-Offline") == owner
    assert "X-Fieldwork-Offline" not in client.get(f"/ho/{field['theirs'].id}").headers  # same village, not theirs
    assert "X-Fieldwork-Offline" not in client.get("/?q=Đức").headers  # a filtered list is not the worklist
    assert "X-Fieldwork-Offline" not in client.get("/", headers={"HX-Request": "true"}).headers
    login(field["official"])
    assert "X-Fieldwork-Offline" not in client.get(f"/ho/{field['mine'].id}").headers


def test_a_background_refresh_costs_a_304_when_nothing_changed(client, login, field):
    login(field["user"])
    url = f"/ho/{field['mine'].id}"
    first = client.get(url, headers={"X-Fieldwork-Prefetch": "1"})
    etag = first.headers["ETag"]
    again = client.get(url, headers={"X-Fieldwork-Prefetch": "1", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    normal = client.get(url, headers={"If-None-Match": etag})  # a page the member opens is always rendered
    assert normal.status_code == 200


def test_a_background_refresh_leaves_the_flash_for_the_page(client, login, field):
    login(field["user"])
    client.post_form(f"/ho/{field['mine'].id}/van-dong", {"uuid": "5f0c2a4e-3d7e-4c1b-9a55-1d2e3f4a5b6c",
                                                          "outcome": "not_home", "channel": "home"})
    refreshed = client.get(f"/ho/{field['mine'].id}", headers={"X-Fieldwork-Prefetch": "1"})
    assert "Đã ghi nhận" not in refreshed.get_data(as_text=True)
    assert "Đã ghi nhận: Không có nhà" in client.get("/").get_data(as_text=True)


def test_the_household_page_keeps_the_visit_form_for_offline_use(client, login, field):
    login(field["user"])
    page = client.get(f"/ho/{field['mine'].id}").get_data(as_text=True)
    template = re.search(r'<template id="visit-form-template"(.*?)</template>', page, re.S).group(0)
    assert "data-offline-form" in template and f'data-household="{field["mine"].id}"' in template
    assert '"considering": 7' in template and '"not_home": 1' in template
    for part in ('data-outcomes="considering not_home"', 'data-outcomes="refused"', 'data-outcomes="agreed"'):
        assert part in template
    assert 'data-outcome="considering"' in page


def test_the_offline_page_holds_nothing_personal(client, login, field):
    login(field["user"])
    page = client.get("/dong-bo/ngoai-tuyen").get_data(as_text=True)
    assert "Chưa có trên máy" in page
    assert field["user"].display_name not in page and "csrf" not in page.lower()


def test_the_favicon_is_an_icon_not_an_error_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/png"


def test_error_pages_are_gzipped_too(client):
    response = client.get("/khong-co-trang-nay", headers=GZIP)
    assert response.status_code == 404 and response.headers["Content-Encoding"] == "gzip"
