"""Real Chromium at 360×740 without signal: visits logged offline are kept on the phone and recorded exactly once,
whatever happens to the connection, the session, the app or the tabs (Playwright's set_offline and interception)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, func, select

from fieldwork.models import Household, Role, User, Village, Visit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: the machine may be busy; these are waits for a state, not timings

NAMES = ("Nguyễn Văn Đức", "Trần Thị Hương", "Lê Văn Đạt", "Phạm Thị Lan")


@dataclass
class World:
    user: User
    households: list[Household]


def make_world(make_village, make_committee, make_user, make_household) -> World:
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    households = [make_household(village, assigned_to=members[1], head_name=name) for name in NAMES]
    user = make_user(Role.MEMBER, village=village, member=members[1], name="Đặng Thị Quỳnh")
    return World(user=user, households=households)


def sign_in(page: Page, base: str, user: User) -> None:
    page.goto(base + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(user.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def wait_until_kept(page: Page, households: int) -> None:
    """The service worker controls the page and keeps the worklist and every household page for offline use."""
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    expect(page.locator("#offline-status")).to_have_attribute("data-saved", str(households + 1), timeout=WAIT)


def log_visit(page: Page, base: str, household: Household, outcome: str = "Không có nhà") -> None:
    """Three taps, as a member does: the household, the outcome, save; back on the worklist."""
    page.goto(f"{base}/")
    page.locator("ul.work a.row", has_text=household.head_name).click()
    page.wait_for_url(f"{base}/ho/{household.id}")
    page.get_by_role("link", name=outcome).click()
    page.locator("#visit-panel").get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"{base}/")
    page.wait_for_selector("#offline-status[data-ready]")


def queue_summary(page: Page):
    return page.locator("#offline-status .offline-queue summary")


def visits_in_db(db: Session) -> list[Visit]:
    db.expire_all()
    return db.exec(select(Visit).order_by(Visit.id)).all()


def visit_count(db: Session) -> int:
    db.expire_all()
    return db.exec(select(func.count(Visit.id))).one()


@pytest.fixture
def world(make_village, make_committee, make_user, make_household) -> World:
    return make_world(make_village, make_committee, make_user, make_household)


def test_three_visits_logged_offline_are_recorded_once_on_reconnect(live_server, phone_page, db, world):
    page = phone_page
    sign_in(page, live_server, world.user)
    wait_until_kept(page, len(world.households))
    page.context.set_offline(True)
    for household in world.households[:3]:
        log_visit(page, live_server, household)
        # The worklist came from the phone, and says so.
        expect(page.locator(".offline-banner")).to_contain_text("Đang ngoại tuyến — dữ liệu cập nhật lúc",
                                                                timeout=WAIT)
    expect(queue_summary(page)).to_contain_text("3 chờ gửi", timeout=WAIT)
    expect(page.locator("main")).to_contain_text("Đã lưu trên máy: Không có nhà — hộ Lê Văn Đạt", timeout=WAIT)
    page.goto(f"{live_server}/ho/{world.households[0].id}")  # household pages open from the phone too
    expect(page.locator("h1")).to_have_text("Hộ Nguyễn Văn Đức")
    assert visit_count(db) == 0

    page.context.set_offline(False)
    expect(queue_summary(page)).to_contain_text("3 đã gửi", timeout=WAIT)
    visits = visits_in_db(db)
    assert len(visits) == 3
    assert sorted(v.household_id for v in visits) == sorted(h.id for h in world.households[:3])
    page.reload()
    expect(queue_summary(page)).to_contain_text("3 đã gửi", timeout=WAIT)
    assert visit_count(db) == 3


def test_an_answer_lost_after_the_server_recorded_the_visit_is_replayed_once(live_server, phone_page, db, world):
    page = phone_page
    sign_in(page, live_server, world.user)
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    posts = []

    def lose_the_first_answer(route):
        posts.append(route.request.post_data_json["visits"][0]["uuid"])
        if len(posts) == 1:
            route.fetch()   # the server records the visit...
            route.abort()   # ...and the phone never hears back
        else:
            route.continue_()

    page.context.route("**/dong-bo/van-dong", lose_the_first_answer)  # the page's sends and the worker's
    log_visit(page, live_server, world.households[0], "Đang cân nhắc")
    expect(queue_summary(page)).to_contain_text("1 đã gửi", timeout=WAIT)
    assert len(posts) == 2 and posts[0] == posts[1]  # the same visit, sent twice
    (visit,) = visits_in_db(db)
    assert visit.uuid == posts[0]
    assert page.locator("#offline-status .queue-sent").count() == 1


def test_visits_wait_through_an_expired_session_and_are_sent_after_signing_in(live_server, phone_page, db, world):
    page = phone_page
    sign_in(page, live_server, world.user)
    wait_until_kept(page, len(world.households))
    page.context.set_offline(True)
    log_visit(page, live_server, world.households[0])
    log_visit(page, live_server, world.households[1], "Đã có bảo hiểm")
    page.context.clear_cookies()  # the session ends while the phone is offline
    page.context.set_offline(False)
    expect(page.locator("#offline-status .offline-queue")).to_contain_text(
        "Phiên đăng nhập đã hết; hãy đăng nhập lại để gửi.", timeout=WAIT)
    expect(queue_summary(page)).to_contain_text("2 chờ gửi", timeout=WAIT)
    assert visit_count(db) == 0  # a login page is not an answer: nothing was dropped, nothing recorded
    page.locator("#offline-status .offline-queue details").evaluate("d => d.open = true")
    page.locator("#offline-status .offline-queue").get_by_role("link", name="Đăng nhập").first.click()
    page.wait_for_url(f"{live_server}/dang-nhap")
    expect(queue_summary(page)).to_contain_text("2 chờ gửi", timeout=WAIT)  # the login page shows what waits
    page.get_by_label("Số điện thoại").fill(world.user.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    expect(queue_summary(page)).to_contain_text("2 đã gửi", timeout=WAIT)
    assert sorted(v.household_id for v in visits_in_db(db)) == sorted(h.id for h in world.households[:2])


def test_the_app_closed_with_visits_queued_sends_them_when_reopened(live_server, phone_page, db, world):
    page, context = phone_page, phone_page.context
    sign_in(page, live_server, world.user)
    wait_until_kept(page, len(world.households))
    context.set_offline(True)
    log_visit(page, live_server, world.households[0])
    log_visit(page, live_server, world.households[1])
    page.close()  # the member closes the app, still without signal

    held = []

    def hold(route):  # the request reaches the server; its answer never reaches the app
        route.fetch()
        held.append(route)

    # Intercept before the signal returns: the service worker may send the queue the moment the phone is online.
    context.route("**/dong-bo/van-dong", hold)
    context.set_offline(False)
    reopened = context.new_page()
    reopened.goto(f"{live_server}/")  # opening the app sends what waits (the page, or the worker's Background Sync)...
    for _ in range(1200):  # until the server has both visits and the app never heard back (the queue may send them
        if held and visit_count(db) == 2:  # one request at a time, and a busy machine may take a while)
            break
        reopened.wait_for_timeout(50)
    assert held and visit_count(db) == 2
    reopened.close()  # ...and the app is closed again in the middle of sending
    for route in held:
        try:
            route.abort()
        except Exception:  # the page that sent it is gone, and its request with it
            pass
    context.unroute("**/dong-bo/van-dong")

    again = context.new_page()
    again.goto(f"{live_server}/")
    expect(queue_summary(again)).to_contain_text("2 đã gửi", timeout=WAIT)
    assert visit_count(db) == 2


def test_two_tabs_sending_the_same_queue_record_each_visit_once(live_server, phone_page, db, world):
    first, context = phone_page, phone_page.context
    sign_in(first, live_server, world.user)
    wait_until_kept(first, len(world.households))
    second = context.new_page()
    second.goto(f"{live_server}/")
    context.set_offline(True)
    log_visit(first, live_server, world.households[0])
    log_visit(first, live_server, world.households[1])
    log_visit(second, live_server, world.households[2])
    log_visit(second, live_server, world.households[3], "Đang cân nhắc")
    assert visit_count(db) == 0

    context.set_offline(False)  # both tabs hear "online" and send at once; each is also told to send again
    for tab in (first, second):
        tab.evaluate("() => { FieldworkQueue.flush({}); }")
    for tab in (first, second):
        tab.reload()
        expect(queue_summary(tab)).to_contain_text("4 đã gửi", timeout=WAIT)
    visits = visits_in_db(db)
    assert len(visits) == 4
    assert sorted(v.household_id for v in visits) == sorted(h.id for h in world.households)


def test_only_own_households_are_kept_and_signing_out_clears_the_phone(live_server, phone_page, db, world,
                                                                        make_household):
    page = phone_page
    neighbour = make_household(db.get(Village, world.households[0].village_id), head_name="Hộ Không Được Giao")
    sign_in(page, live_server, world.user)
    wait_until_kept(page, len(world.households))
    page.goto(f"{live_server}/ho/{neighbour.id}")  # visible to the member, but not theirs: never kept
    kept = page.evaluate("caches.open('fw-pages-u' + %d).then(c => c.keys()).then(ks => ks.map(r => "
                         "new URL(r.url).pathname))" % world.user.id)
    assert sorted(kept) == sorted(["/"] + [f"/ho/{h.id}" for h in world.households])

    page.context.set_offline(True)
    log_visit(page, live_server, world.households[0])
    page.get_by_role("button", name="Đăng xuất").click()  # one visit unsent: the member is asked, and says no
    expect(queue_summary(page)).to_contain_text("1 chờ gửi", timeout=WAIT)
    assert page.url == f"{live_server}/"

    page.context.set_offline(False)
    expect(queue_summary(page)).to_contain_text("1 đã gửi", timeout=WAIT)
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server}/dang-nhap")
    left = page.evaluate("""async () => ({
        caches: (await caches.keys()).filter(k => k.startsWith('fw-pages')),
        visits: (await FieldworkQueue.all()).length,
        user: await FieldworkQueue.getMeta('user')})""")
    assert left == {"caches": [], "visits": 0, "user": None}
    assert visit_count(db) == 1
