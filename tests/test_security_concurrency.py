"""Concurrency: the app under gunicorn (4 worker processes × 2 threads), hammered over real HTTP for a few seconds by
six committee members logging visits and two officials editing the same household and the same person at the same
time, each client signed in through the login form with its own cookies and CSRF token.

Nothing may fail (no 5xx, no "database is locked" or traceback in the server's log), nothing may be lost (every
visit a member was told was saved is stored exactly once), and concurrent edits end with one of the submitted
values and one audit event per accepted edit. A second test sends every visit twice at once, as a double tap on a
slow network does. FIELDWORK_CONCURRENCY_SECONDS sets how long the first one hammers (8 s).
"""

from __future__ import annotations

import os
import threading
import time
import uuid as uuid_module
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterator

import pytest
from sqlmodel import func, select

from fieldwork.models import AuditEvent, CommitteeMember, Household, Organisation, Person, Role, Visit
from fieldwork.text import local_today

from .conftest import PASSWORD
from .fuzz_forms import find_form
from .fuzz_server import Browser, Gunicorn
from .fuzz_specs import add_household, add_person, build_world, make_user

SECONDS = float(os.environ.get("FIELDWORK_CONCURRENCY_SECONDS", "8"))
MEMBERS = 6
OFFICIALS = 2


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)
    saved_visits: list = field(default_factory=list)  # uuids a member was told were saved
    household_notes: list = field(default_factory=list)  # accepted edits of the shared household
    person_jobs: list = field(default_factory=list)  # accepted edits of the shared person

    def note(self, what: str, answer, ok: bool) -> bool:
        with self.lock:
            self.requests += 1
            self.statuses[answer.status if answer else "no answer"] += 1
            if not ok:
                self.failures.append(f"{what}: {answer.status if answer else 'no answer'} "
                                     f"{(answer.body[:300] if answer else '')!r}")
        return ok


def _send(browser: Browser, path: str, data: dict):
    try:
        return browser.request(path, data)
    except OSError as error:  # refused, reset, timed out: counted as a failure, never hidden
        return type("NoAnswer", (), {"status": f"{type(error).__name__}", "body": str(error), "location": None})()


def member_loop(browser: Browser, name: str, households: list[int], deadline: float, tally: Tally,
                double_tap: bool = False) -> None:
    k = 0
    while time.monotonic() < deadline:
        k += 1
        household = households[k % len(households)]
        visit = {"uuid": str(uuid_module.uuid4()), "outcome": "considering", "channel": "home",
                 "next_date": (local_today() + timedelta(days=7)).isoformat(), "met_person": "Chủ hộ",
                 "notes": f"{name} lần {k}"}
        path = f"/ho/{household}/van-dong"
        if double_tap:  # the same visit twice at once
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda _i: _send(browser, path, visit), range(2)))
        else:
            answers = [_send(browser, path, visit)]
        saved = [tally.note(f"{name} POST {path}", a, a.status == 302 and a.location == "/") for a in answers]
        if any(saved):
            with tally.lock:
                tally.saved_visits.append(visit["uuid"])


def official_loop(browser: Browser, name: str, household_id: int, person_id: int, deadline: float,
                  tally: Tally) -> None:
    household_path, person_path = f"/ho/{household_id}/sua", f"/nguoi/{person_id}/sua"
    household_form = find_form(browser.request(household_path).body, household_path, household_path)
    person_form = find_form(browser.request(person_path).body, person_path, person_path)
    k = 0
    while time.monotonic() < deadline:
        k += 1
        notes = f"Ghi chú của {name}, lần {k}"
        data = {**dict(household_form.submission()), "notes": notes}
        data.pop("csrf_token", None)
        answer = _send(browser, household_path, data)
        if tally.note(f"{name} POST {household_path}", answer, answer.status == 302):
            with tally.lock:
                tally.household_notes.append(notes)
        job = f"Nghề của {name}, lần {k}"
        data = {**dict(person_form.submission()), "occupation": job}
        data.pop("csrf_token", None)
        answer = _send(browser, person_path, data)
        if tally.note(f"{name} POST {person_path}", answer, answer.status == 302):
            with tally.lock:
                tally.person_jobs.append(job)


def _first_tracebacks(log: str, n: int = 2) -> str:
    parts = log.split("Traceback (most recent call last):")
    return "\n---\n".join("Traceback" + p[:4000] for p in parts[1:n + 1]) or log[-3000:]


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory) -> Iterator[Gunicorn]:
    """One gunicorn per backend for this file; each test arranges its own people (the tables are emptied between
    tests while it waits)."""
    folder = tmp_path_factory.mktemp("gunicorn")
    started = time.monotonic()
    server = Gunicorn(database_url, folder / "instance", folder / "gunicorn.log")
    try:
        server.wait_ready()
        server.boot_seconds = time.monotonic() - started
        yield server
    finally:
        server.stop()


@dataclass
class Cast:
    members: list  # (phone, name, household ids)
    officials: list  # phones
    household: Household  # edited by every official at once
    person: Person


def arrange(db, members: int = MEMBERS, officials: int = OFFICIALS) -> Cast:
    world = build_world(db)
    cast = Cast([], [], add_household(db, world.north, people=1), None)
    cast.person = add_person(db, cast.household, "Người Được Sửa Đồng Thời", 1980)
    for i in range(members):
        member = CommitteeMember(committee_id=world.members[0].committee_id, full_name=f"Thành Viên Đồng Thời {i + 1}",
                                 organisation=Organisation.WOMEN, joined_on=date(2025, 9, 1))
        db.add(member)
        db.flush()
        user = make_user(db, Role.MEMBER, member.full_name, commune_id=world.commune_id,
                         village_id=world.village.id, member=member)
        cast.members.append((user.phone, member.full_name,
                             [add_household(db, world.village, assigned_to=member).id for _ in range(3)]))
    cast.officials = [make_user(db, Role.OFFICIAL, f"Cán Bộ Đồng Thời {i + 1}", commune_id=world.commune_id).phone
                      for i in range(officials)]
    db.commit()
    return cast


def signed_in(server: Gunicorn, phones: list[str]) -> list[Browser]:
    browsers = []
    for phone in phones:
        browser = Browser(server.url)
        browser.sign_in(phone, PASSWORD)
        browsers.append(browser)
    return browsers


def run(threads: list[threading.Thread]) -> float:
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def server_log(server: Gunicorn, offset: int) -> str:
    return server.log.read_bytes()[offset:].decode(errors="replace")


def test_concurrent_visits_and_edits_lose_nothing(server, app, db, backend, capsys):
    cast = arrange(db)
    visits_before = db.exec(select(func.count(Visit.id))).one()
    log_offset = server.log.stat().st_size
    browsers = signed_in(server, [m[0] for m in cast.members] + cast.officials)
    tally = Tally()
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=member_loop, args=(b, name, homes, deadline, tally))
               for b, (_phone, name, homes) in zip(browsers, cast.members)]
    threads += [threading.Thread(target=official_loop, args=(b, f"cán bộ {i + 1}", cast.household.id, cast.person.id,
                                                             deadline, tally))
                for i, b in enumerate(browsers[len(cast.members):])]
    duration = run(threads)
    log = server_log(server, log_offset)

    successes = tally.statuses[302]
    with capsys.disabled():
        print(f"\nconcurrency [{backend}]: {tally.requests} requests, {successes} successes, "
              f"{len(tally.failures)} errors in {duration:.1f} s ({dict(tally.statuses)}); "
              f"{len(tally.saved_visits)} visits, {len(tally.household_notes)} household and "
              f"{len(tally.person_jobs)} person edits; gunicorn ready in {server.boot_seconds:.1f} s")

    assert not tally.failures, "\n".join(tally.failures[:5]) + "\n\nserver log:\n" + _first_tracebacks(log)
    assert "database is locked" not in log, log[-5000:]
    assert "Traceback" not in log and "Unhandled error" not in log, log[-5000:]
    assert tally.saved_visits and tally.household_notes and tally.person_jobs

    db.expire_all()
    stored = Counter(db.exec(select(Visit.uuid).where(Visit.uuid.in_(tally.saved_visits))).all())
    assert all(stored[u] == 1 for u in tally.saved_visits), "a saved visit is missing or stored twice"
    assert db.exec(select(func.count(Visit.id))).one() - visits_before == len(tally.saved_visits)

    def updates(entity: str, entity_id: int) -> int:
        return db.exec(select(func.count(AuditEvent.id)).where(
            AuditEvent.entity == entity, AuditEvent.entity_id == entity_id, AuditEvent.action == "update")).one()

    assert db.get(Household, cast.household.id).notes in tally.household_notes
    assert updates("household", cast.household.id) == len(tally.household_notes)
    assert db.get(Person, cast.person.id).occupation in tally.person_jobs
    assert updates("person", cast.person.id) == len(tally.person_jobs)


def test_double_tapped_visit_is_saved_once(server, app, db, backend, capsys):
    cast = arrange(db, members=4, officials=0)
    log_offset = server.log.stat().st_size
    browsers = signed_in(server, [m[0] for m in cast.members])
    tally = Tally()
    deadline = time.monotonic() + min(SECONDS, 3)
    duration = run([threading.Thread(target=member_loop, args=(b, name, homes, deadline, tally, True))
                    for b, (_phone, name, homes) in zip(browsers, cast.members)])
    with capsys.disabled():
        print(f"\ndouble taps [{backend}]: {tally.requests} requests, {len(tally.failures)} errors in {duration:.1f} s "
              f"({dict(tally.statuses)})")
    db.expire_all()
    stored = Counter(db.exec(select(Visit.uuid).where(Visit.uuid.in_(tally.saved_visits))).all())
    assert all(stored[u] == 1 for u in tally.saved_visits), "a saved visit is missing or stored twice"
    assert not tally.failures, "\n".join(tally.failures[:3]) + "\n" + _first_tracebacks(server_log(server, log_offset))
