"""Real Chromium reads a kept page sent as it was compressed when built (fieldwork/gzpage.py: the reader's CSRF token
spliced into the gzip stream), and the token in it works. (Chromium does not check gzip's CRC-32;
tests/test_gzpage.py does, with Python's gzip module.)"""

from __future__ import annotations

import re

import pytest

from fieldwork.models import Role
from fieldwork.pagecache import store
from tests.browser.test_offline_queue import sign_in

pytestmark = pytest.mark.browser


def test_a_kept_household_page_reads_whole_and_its_token_works(app, live_server, phone_page, make_village,
                                                               make_committee, make_user, make_household):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    household = make_household(village, assigned_to=members[1], head_name="Nguyễn Văn Đức")
    user = make_user(Role.MEMBER, village=village, member=members[1])
    page = phone_page
    sign_in(page, live_server, user)

    url = f"{live_server}/ho/{household.id}"
    built = page.goto(url)
    hits = store(app).hits
    kept = page.goto(url)  # the same page again: served from the store
    assert store(app).hits > hits
    assert built.headers.get("content-encoding") == kept.headers.get("content-encoding") == "gzip"
    assert built.headers["etag"] == kept.headers["etag"]
    text = page.locator("main").inner_text()
    assert "Nguyễn Văn Đức" in text and page.locator("footer").count() == 1  # read to its end
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    inputs = page.eval_on_selector_all("input[name=csrf_token]", "inputs => inputs.map(i => i.value)")
    assert token and len(inputs) >= 2 and set(inputs) == {token}  # every place of the token got the reader's

    # The spliced token works: signing out is a POST checked against it (a wrong one answers 400, page unchanged).
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(re.escape(live_server) + "/dang-nhap"))
    assert page.locator("h1").inner_text() == "Đăng nhập"
