"""Soak test of the phone's visit queue: many offline/online cycles with random faults, then count what was lost
and what was recorded twice. Real Chromium, the real service worker and queue (static/js/offline-queue.js), the real
server over HTTP; faults injected with Playwright's request interception (``context.route``: the page's sends and
the service worker's alike).

    .venv/bin/python -m bench.offline_soak [--cycles 1000] [--db sqlite|postgresql|both] [--seed 2026]

Each cycle: the phone goes offline and 1–3 visits are queued (written to IndexedDB first, as the visit form does;
sometimes a send is tried while offline), then it comes back online and sends, with one fault drawn at random:

* ``drop_after_commit`` — the server records the batch, the answer is lost (the phone sees a network error)
* ``5xx_before`` — a proxy answers 502 before the server sees anything
* ``5xx_after`` — the server records the batch, then the phone gets a 500 page
* ``login_200`` — a login page comes back with 200 instead of the JSON answer (it must not count as sent)
* ``session_expired`` — the cookies are gone (the queue waits for a 401), the member signs in again later
* ``stale_csrf`` — the phone sends with an outdated CSRF token (it fetches a fresh one and sends again)
* ``duplicate`` — the same request reaches the server twice
* ``closed_mid_send`` — the app is closed while a send is in flight (it reached the server), then reopened
* ``two_tabs`` — a second tab sends the same queue at the same moment
* ``reassigned`` — one of the queued households is reassigned while the phone is offline (the visit must be
  recorded all the same, flagged for an official)
* ``none`` — nothing goes wrong

Some faults leave visits queued into later cycles. At the end the phone sends until nothing waits, then: every
visit queued is in the database exactly once (by its UUID, with the content queued), no other visit is there, and
every item on the phone is confirmed. Exit status 1 if anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from playwright.sync_api import sync_playwright
from sqlmodel import Session, select
from werkzeug.serving import make_server

import fieldwork
import fieldwork.migrate
from bench.registry_import import drop, fresh_url
from fieldwork.auth.services import create_user
from fieldwork.db import get_engine
from fieldwork.models import (
    Assignment, Committee, CommitteeMember, Commune, Household, Organisation, Person, Relation, Role, Sex, Village,
    Visit, VisitAttention,
)
from fieldwork.reference import load_reference_data

PASSWORD = "bench-password-1"
FAULTS = {"none": 30, "drop_after_commit": 12, "5xx_before": 8, "5xx_after": 8, "login_200": 6,
          "session_expired": 8, "stale_csrf": 6, "duplicate": 8, "closed_mid_send": 5, "two_tabs": 5,
          "reassigned": 4}
OUTCOMES = [("considering", {}), ("not_home", {}), ("already_covered", {}), ("agreed", {"scheme": "bhyt_hgd"}),
            ("refused", {"reason": "cannot_afford"}), ("refused", {"reason": "no_trust"})]
HOUSEHOLDS = 12
LOGIN_PAGE = "<!doctype html><html><body><form action=/dang-nhap>Đăng nhập</form></body></html>"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


# --- the server --------------------------------------------------------------------------------------------------


def build(url: str, folder: str):
    app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "soak"})
    fieldwork.migrate.upgrade(app)
    with Session(get_engine(app), expire_on_commit=False) as s:
        load_reference_data(s)
        commune = s.exec(select(Commune).where(Commune.code == "07264")).one()
        village = Village(commune_id=commune.id, code="S01", name="Thôn Thử Sức")
        s.add(village)
        s.flush()
        committee = Committee(village_id=village.id, established_on=date(2025, 8, 15))
        s.add(committee)
        s.flush()
        members = [CommitteeMember(committee_id=committee.id, full_name=f"Thành Viên {i}", is_head=i == 0,
                                   organisation=Organisation.FRONT, joined_on=date(2025, 8, 15)) for i in range(2)]
        s.add_all(members)
        s.flush()
        user = create_user(s, phone="0911000002", display_name="Thành Viên Đo", role=Role.MEMBER,
                           password=PASSWORD, commune_id=commune.id, village_id=village.id)
        members[0].user_id = user.id
        households = []
        for i in range(HOUSEHOLDS):
            h = Household(village_id=village.id, code=f"S01-{i:03d}", head_name=f"Nguyễn Văn Đức {i + 1}")
            s.add(h)
            s.flush()
            s.add(Person(household_id=h.id, full_name=h.head_name, birth_year=1970, sex=Sex.MALE,
                         relation=Relation.HEAD))
            s.add(Assignment(household_id=h.id, member_id=members[0].id, valid_from=date(2026, 1, 1)))
            households.append(h.id)
        s.commit()
    return app, user.id, households, members[1].id


def reassign(app, household_id: int, member_id: int) -> None:
    with Session(get_engine(app)) as s:
        row = s.exec(select(Assignment).where(Assignment.household_id == household_id,
                                              Assignment.valid_to.is_(None))).one()
        row.valid_to = date.today()
        s.add(row)
        s.flush()
        s.add(Assignment(household_id=household_id, member_id=member_id, valid_from=date.today()))
        s.commit()


# --- the phone ---------------------------------------------------------------------------------------------------


class Phone:
    def __init__(self, browser, base: str, user_id: int):
        self.base, self.user_id = base, user_id
        self.context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
        self.fault = {"kind": None, "left": 0}
        self.held: list = []
        self.stats = collections.Counter()
        self.context.route("**/dong-bo/van-dong", self._intercept)
        self.page = None

    def _intercept(self, route) -> None:
        self.stats["sync requests"] += 1
        kind = self.fault["kind"] if self.fault["left"] > 0 else None
        if kind:
            self.fault["left"] -= 1
            self.stats[f"fault: {kind}"] += 1
        if kind == "drop_after_commit":
            route.fetch()
            route.abort()
        elif kind == "5xx_before":
            route.fulfill(status=502, body="<html>Bad gateway</html>", content_type="text/html")
        elif kind == "5xx_after":
            route.fetch()
            route.fulfill(status=500, body="<html>Lỗi hệ thống</html>", content_type="text/html")
        elif kind == "login_200":
            route.fulfill(status=200, body=LOGIN_PAGE, content_type="text/html; charset=utf-8")
        elif kind == "duplicate":
            route.fetch()
            route.fulfill(response=route.fetch())
        elif kind == "closed_mid_send":
            route.fetch()
            self.held.append(route)
        else:
            route.continue_()

    def open(self) -> None:
        self.page = self.context.new_page()
        self.page.goto(self.base + "/")
        self.page.wait_for_selector("#offline-status[data-ready]")

    def sign_in(self) -> None:
        """Through the login form, as the member does after the session expired."""
        login = self.context.request.get(self.base + "/dang-nhap")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login.text()).group(1)
        answer = self.context.request.post(self.base + "/dang-nhap", form={
            "csrf_token": token, "phone": "0911000002", "password": PASSWORD})
        assert answer.ok, answer.status

    def queue(self, items: list[dict]) -> None:
        self.page.evaluate("items => Promise.all(items.map(i => FieldworkQueue.put(i)))", items)

    def flush(self, token: str | None = None) -> dict:
        return self.page.evaluate("([user, token]) => FieldworkQueue.flush({user: user, token: token || "
                                  "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']})",
                                  [self.user_id, token])

    def states(self) -> dict[str, str]:
        return dict(self.page.evaluate("u => FieldworkQueue.list(u).then(l => l.map(i => [i.uuid, i.state]))",
                                       self.user_id))

    def prune(self) -> list[str]:
        """Forget confirmed items, as the app does a day later (keeps the phone's list at a day's size)."""
        return self.page.evaluate("u => FieldworkQueue.list(u).then(l => Promise.all(l.filter(i => i.state === "
                                  "'sent').map(i => FieldworkQueue.remove(i.uuid).then(() => i.uuid))))", self.user_id)

    def waiting(self) -> int:
        return sum(1 for s in self.states().values() if s == "waiting")


def make_item(rng: random.Random, user_id: int, household_id: int) -> dict:
    outcome, extra = rng.choice(OUTCOMES)
    visit = {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "household_id": household_id,
             "visited_at": (datetime.now(timezone.utc) - timedelta(minutes=rng.randrange(600))).isoformat(),
             "outcome": outcome, "reason": None, "scheme": None, "channel": "home", "met_person": "",
             "notes": rng.choice(["", "Hẹn chiều mai", "Gặp vợ chủ hộ"]), "next_date": None, "person_ids": [],
             **extra}
    return {"uuid": visit["uuid"], "user": user_id, "visit": visit, "household": f"Hộ {household_id}",
            "outcome": outcome, "state": "waiting", "note": "new", "created": int(time.time() * 1000)}


# --- the soak ----------------------------------------------------------------------------------------------------


def cycle(phone: Phone, app, rng: random.Random, households: list[int], other_member: int, expected: dict,
          signed_out: list[bool]) -> None:
    context = phone.context
    context.set_offline(True)
    items = [make_item(rng, phone.user_id, rng.choice(households)) for _ in range(rng.randint(1, 3))]
    phone.queue(items)
    expected.update({i["uuid"]: i["visit"] for i in items})
    phone.stats["visits queued"] += len(items)
    if rng.random() < 0.3:
        assert phone.flush().get("error") == "offline"  # trying without signal changes nothing
    kind = rng.choices(list(FAULTS), weights=list(FAULTS.values()))[0]
    phone.stats[f"cycles: {kind}"] += 1
    moved = None
    if kind == "reassigned":
        moved = items[0]["visit"]["household_id"]
        reassign(app, moved, other_member)
        phone.stats["fault: reassigned"] += 1
    if kind == "session_expired":
        context.clear_cookies()
        signed_out[0] = True
        phone.stats["fault: session_expired"] += 1
    context.set_offline(False)

    if kind in ("drop_after_commit", "5xx_before", "5xx_after", "login_200", "duplicate"):
        phone.fault.update(kind=kind, left=1)  # whichever send comes first meets it (the page also sends on its own)
        phone.flush()
    elif kind == "stale_csrf":
        phone.flush(token="IjAwMDAi.stale.token")
        phone.stats["fault: stale_csrf"] += 1
    elif kind == "session_expired":
        assert phone.flush().get("error") == "signed_out"
    elif kind == "closed_mid_send":
        phone.fault.update(kind=kind, left=1)
        phone.page.evaluate("u => { FieldworkQueue.flush({user: u}); }", phone.user_id)
        for _ in range(400):
            if phone.held:
                break
            phone.page.wait_for_timeout(10)
        phone.page.close()
        for route in phone.held:
            try:
                route.abort()
            except Exception:  # its page is gone, and the request with it
                pass
        phone.held.clear()
        phone.open()
    elif kind == "two_tabs":
        second = context.new_page()
        second.goto(phone.base + "/")
        second.wait_for_selector("#offline-status[data-ready]")
        script = "u => { FieldworkQueue.flush({user: u}); FieldworkQueue.flush({user: u}); }"
        phone.page.evaluate(script, phone.user_id)
        second.evaluate(script, phone.user_id)
        second.evaluate("u => FieldworkQueue.flush({user: u})", phone.user_id)
        second.close()
    phone.fault.update(kind=None, left=0)

    # Sometimes the member signs in again at once, sometimes a few cycles later; sometimes the phone sends now,
    # sometimes only at the next cycle.
    if signed_out[0] and rng.random() < 0.5:
        phone.sign_in()
        signed_out[0] = False
    if not signed_out[0] and rng.random() < 0.7:
        phone.flush()
    if moved is not None:
        if not signed_out[0]:
            phone.flush()
        reassign(app, moved, phone_member(app, phone.user_id))


def phone_member(app, user_id: int) -> int:
    with Session(get_engine(app)) as s:
        return s.exec(select(CommitteeMember.id).where(CommitteeMember.user_id == user_id)).one()


def run(kind: str, cycles: int, seed: int) -> bool:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_url(kind, folder)
        try:
            app, user_id, households, other_member = build(url, folder)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{server.server_port}"
            started = time.perf_counter()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
                phone = Phone(browser, base, user_id)
                phone.sign_in()
                phone.open()
                phone.page.wait_for_function("() => !!navigator.serviceWorker.controller")
                expected: dict[str, dict] = {}
                confirmed: set[str] = set()
                signed_out = [False]
                for n in range(cycles):
                    cycle(phone, app, rng, households, other_member, expected, signed_out)
                    if (n + 1) % 50 == 0:
                        confirmed.update(phone.prune())
                    if (n + 1) % 100 == 0:
                        print(f"  {kind}: {n + 1} cycles, {len(expected)} visits queued, "
                              f"{time.perf_counter() - started:.0f} s", flush=True)
                if signed_out[0]:
                    phone.sign_in()
                for _ in range(20):
                    phone.flush()
                    if not phone.waiting():
                        break
                states = phone.states()
                states.update({u: "sent" for u in confirmed})
                browser.close()
            elapsed = time.perf_counter() - started
            server.shutdown()
            with Session(get_engine(app)) as s:
                stored = {v.uuid: v for v in s.exec(select(Visit)).all()}
                flagged = len(s.exec(select(VisitAttention)).all())
            get_engine(app).dispose()
        finally:
            drop(url)
    lost = [u for u in expected if u not in stored]
    unexpected = [u for u in stored if u not in expected]
    changed = [u for u, v in stored.items() if u in expected and v.outcome.value != expected[u]["outcome"]]
    unconfirmed = [u for u in expected if states.get(u) != "sent"]
    print(f"\n{kind}: {cycles} cycles in {elapsed:.0f} s, seed {seed}")
    print("| figure | count |\n|---|---:|")
    for key, value in sorted(phone.stats.items()):
        print(f"| {key} | {value} |")
    print(f"| visits in the database | {len(stored)} |")
    print(f"| of which flagged for an official (reassigned meanwhile) | {flagged} |")
    print(f"| **lost** (queued, not in the database) | **{len(lost)}** |")
    print(f"| **duplicated** (recorded twice, or a visit never queued) | **{len(unexpected)}** |")
    print(f"| content differs from what was queued | {len(changed)} |")
    print(f"| not confirmed on the phone at the end | {len(unconfirmed)} |")
    return not (lost or unexpected or changed or unconfirmed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ok = all([run(kind, args.cycles, args.seed) for kind in (["sqlite", "postgresql"] if args.db == "both"
                                                              else [args.db])])
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
