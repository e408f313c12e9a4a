"""What a weak signal has to carry: the member's worklist, first load, ≤ 60 KB compressed in total (HTML, CSS, JS,
the service worker and the manifest), and ≤ 10 KB for each later htmx swap. Measured on the wire: every response the
server writes is counted (body as sent, gzipped when the browser asked for it, plus status line and headers), so the
service worker's own requests count too. The figures are printed (pytest -s) and reported in bench/README.md."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from fieldwork.models import FollowUp, FollowUpKind, Role, Visit, VisitOutcome
from fieldwork.text import local_today
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

FIRST_LOAD_BUDGET = 60 * 1024
SWAP_BUDGET = 10 * 1024
HOUSEHOLDS = 60  # a village of about 300 households shared by five members


class WireCounter:
    """WSGI middleware: what each response put on the wire."""

    def __init__(self, wsgi):
        self.wsgi, self.log = wsgi, []

    def __call__(self, environ, start_response):
        seen = {}

        def start(status, headers, exc_info=None):
            seen.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = self.wsgi(environ, start)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        head = len(f"HTTP/1.1 {seen['status']}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in seen["headers"]) + 2
        self.log.append({"path": environ["PATH_INFO"], "query": environ.get("QUERY_STRING", ""),
                         "htmx": environ.get("HTTP_HX_REQUEST") == "true", "type": dict(seen["headers"]).get(
                             "Content-Type", ""), "body": len(body), "wire": len(body) + head,
                         "gzip": dict(seen["headers"]).get("Content-Encoding") == "gzip"})
        return [body]

    def mark(self) -> int:
        return len(self.log)

    def since(self, mark: int) -> list[dict]:
        return self.log[mark:]


@pytest.fixture
def wire(app):
    app.wsgi_app = WireCounter(app.wsgi_app)
    return app.wsgi_app


@pytest.fixture
def member(db, make_village, make_committee, make_user, make_household):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    today, now = local_today(), datetime.now(timezone.utc)
    for i in range(HOUSEHOLDS):
        household = make_household(village, assigned_to=members[1], people=3 + i % 3,
                                   head_name=f"Nguyễn Văn Đức {i + 1}")
        household.hamlet_group = f"Xóm {1 + i % 4}"
        db.add(household)
        if i % 2:
            db.add(Visit(uuid=str(uuid.uuid4()), household_id=household.id, member_id=members[1].id,
                         visited_at=now - timedelta(days=i), outcome=VisitOutcome.CONSIDERING))
            db.add(FollowUp(household_id=household.id, member_id=members[1].id, kind=FollowUpKind.REVISIT,
                            due_on=today + timedelta(days=i % 9 - 3)))
    db.commit()
    return make_user(Role.MEMBER, village=village, member=members[1])


def _total(rows: list[dict], key: str = "wire") -> int:
    return sum(r[key] for r in rows)


def _report(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    for r in rows:
        print(f"  {r['path']}{'?' + r['query'] if r['query'] else ''}: {r['body']} B body"
              f"{' (gzip)' if r['gzip'] else ''}, {r['wire']} B on the wire")
    print(f"  total: {_total(rows, 'body')} B body, {_total(rows)} B on the wire")


def test_worklist_first_load_and_swaps_fit_a_weak_signal(live_server, browser, wire, member):
    # Sign in without a page (the form posted directly), then open the worklist on a phone that has never seen the
    # app: nothing cached, no service worker yet.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", has_touch=True,
                                is_mobile=True, device_scale_factor=2)
    login = phone.request.get(f"{live_server}/dang-nhap").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    assert phone.request.post(f"{live_server}/dang-nhap", form={"csrf_token": token, "phone": member.phone,
                                                                "password": PASSWORD}).ok
    page = phone.new_page()

    start = wire.mark()
    page.goto(f"{live_server}/")
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    # This test counts bytes, not seconds: saving 61 pages on a busy 2-core CI machine took over the default 5 s.
    expect(page.locator("#offline-status")).to_have_attribute("data-saved", str(HOUSEHOLDS + 1), timeout=60_000)
    everything = wire.since(start)
    kept = [r for r in everything if r["path"].startswith("/ho/") or (r["path"] == "/" and r is not everything[0])]
    first_load = [r for r in everything if r not in kept and "image/" not in r["type"]]
    images = [r for r in everything if "image/" in r["type"]]
    _report("First load of the worklist (HTML, CSS, JS, service worker, manifest)", first_load)
    _report("Icons", images)
    _report(f"Pages kept for offline use ({HOUSEHOLDS} households + the worklist), in the background", kept)
    assert everything[0]["path"] == "/" and everything[0]["gzip"]
    assert {"/static/css/app.css", "/static/js/offline.js", "/sw.js"} <= {r["path"] for r in first_load}
    assert _total(first_load) <= FIRST_LOAD_BUDGET

    # Later swaps: the worklist filters (htmx partials).
    page.wait_for_function("() => !!document.querySelector('.worklist-filters')['htmx-internal-data']")
    swaps = []
    for action in (lambda: page.locator("select[name=viec]").select_option("1"),
                   lambda: page.locator("select[name=viec]").select_option(""),
                   lambda: page.locator("input[name=q]").fill("Đức 1")):
        mark = wire.mark()
        with page.expect_response(lambda r: "HX-Request" in r.request.headers or
                                  r.request.headers.get("hx-request") == "true"):
            action()
        swaps += [r for r in wire.since(mark) if r["htmx"]]
    _report("Later htmx swaps (worklist filters)", swaps)
    assert swaps and all(r["htmx"] for r in swaps)
    assert max(r["wire"] for r in swaps) <= SWAP_BUDGET
    expect(page.locator("#work-rows li.tier-1, #work-rows li.tier-2, #work-rows li.tier-3, #work-rows li.tier-4, "
                        "#work-rows li.tier-5").first).to_be_visible()
    phone.close()
