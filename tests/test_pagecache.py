"""Kept pages (fieldwork/pagecache.py): served again while nothing changed, never once something did."""

from __future__ import annotations

import gzip
import hashlib
import re
import time
import uuid

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from fieldwork import create_app
from fieldwork.db import get_engine
from fieldwork.models import Commune, DataRevision, Household, Person, Role
from fieldwork.pagecache import SharedStore, store
from tests.conftest import PASSWORD

TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def field(make_village, make_committee, make_user, make_household):
    village = make_village()
    _, members = make_committee(village)
    member = make_user(Role.MEMBER, village=village, member=members[1])
    household = make_household(village, assigned_to=members[1], people=2, head_name="Hộ Giữ Trang")
    return {"village": village, "member": member, "household": household, "official": make_user(Role.OFFICIAL)}


class Statements:
    """How many SQL statements the app's engine ran meanwhile."""

    def __init__(self, app):
        self.n = 0
        event.listen(get_engine(app), "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.n += 1

    def during(self, call):
        before = self.n
        result = call()
        return result, self.n - before


def _signed_in(app, user):
    """A browser session of its own, signed in as ``user``."""
    c = app.test_client()
    answer = c.post("/dang-nhap", data={"phone": user.phone, "password": PASSWORD,
                                        "csrf_token": TOKEN.search(c.get("/dang-nhap").get_data(as_text=True)).group(1)})
    assert answer.status_code == 302
    return c


def _revision(db, commune_id: int, village_id: int = 0) -> int:
    db.expire_all()
    row = db.get(DataRevision, (commune_id, village_id))
    return row.revision if row else 0


def test_a_page_read_twice_is_built_once_and_is_the_same(app, client, login, field):
    login(field["member"])
    counter = Statements(app)
    first, built = counter.during(lambda: client.get(f"/ho/{field['household'].id}"))
    second, served = counter.during(lambda: client.get(f"/ho/{field['household'].id}"))
    assert first.status_code == second.status_code == 200
    assert "Hộ Giữ Trang" in second.get_data(as_text=True)
    # Equal but for the CSRF token: it is signed with a timestamp, so the kept page's fresh token differs when the
    # two requests fall in different seconds.
    first_text, second_text = first.get_data(as_text=True), second.get_data(as_text=True)
    assert second_text.replace(TOKEN.search(second_text).group(1), "T") == \
        first_text.replace(TOKEN.search(first_text).group(1), "T")
    assert served < built, (served, built)
    assert served == 1, served  # the user, with the data revisions its pages depend on: one statement
    assert store(app).hits >= 1
    assert 0 < store(app).size < len(first.get_data()) / 2  # kept compressed: pages are repetitive HTML


def test_a_write_in_the_commune_shows_at_once(app, client, login, db, field):
    login(field["member"])
    household = field["household"]
    before = client.get("/").get_data(as_text=True)
    assert "Hẹn thăm lại" not in before
    assert "Hẹn lại sau vụ gặt" not in client.get(f"/ho/{household.id}").get_data(as_text=True)
    answer = client.post_form(f"/ho/{household.id}/van-dong", {"uuid": str(uuid.uuid4()), "outcome": "considering",
                                                               "channel": "home", "notes": "Hẹn lại sau vụ gặt"})
    assert answer.status_code == 302
    client.get("/")  # the page that shows the "saved" message is never kept
    after = client.get("/").get_data(as_text=True)
    assert "Hẹn thăm lại" in after
    page = client.get(f"/ho/{household.id}").get_data(as_text=True)
    assert "Hẹn lại sau vụ gặt" in page


def test_a_write_outside_any_request_shows_too(app, client, login, db, field):
    """A command, a fixture, a job: no signed-in user, so every commune's pages are rebuilt."""
    login(field["member"])
    household = field["household"]
    client.get(f"/ho/{household.id}")
    before = _revision(db, 0)
    person = db.exec(select(Person).where(Person.household_id == household.id)).first()
    person.full_name = "Tên Mới Sửa Ngoài"
    db.add(person)
    db.commit()
    assert _revision(db, 0) == before + 1
    assert "Tên Mới Sửa Ngoài" in client.get(f"/ho/{household.id}").get_data(as_text=True)


def test_a_member_write_raises_their_village_only(app, client, login, db, field):
    commune_id, village_id = field["village"].commune_id, field["village"].id
    other = db.exec(select(Commune.id).where(Commune.id != commune_id)).first()
    before = [_revision(db, commune_id, village_id), _revision(db, commune_id), _revision(db, 0), _revision(db, other)]
    login(field["member"])
    client.post_form(f"/ho/{field['household'].id}/van-dong", {"uuid": str(uuid.uuid4()), "outcome": "not_home",
                                                               "channel": "home"})
    after = [_revision(db, commune_id, village_id), _revision(db, commune_id), _revision(db, 0), _revision(db, other)]
    assert after[0] > before[0]
    assert after[1:] == before[1:]


def test_an_official_write_reaches_the_members_pages_and_a_member_write_the_officials(
        app, login, db, field, make_household):
    """The official's dashboard counts every village; the member's pages hang on the commune's own row too."""
    member, official = _signed_in(app, field["member"]), _signed_in(app, field["official"])
    household = field["household"]
    member.get(f"/ho/{household.id}")
    official.get(f"/ho/{household.id}")
    page = official.get(f"/ho/{household.id}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    answer = official.post(f"/ho/{household.id}/sua", data={"csrf_token": token, "code": household.code,
                                                              "head_name": "Tên Chủ Hộ Cán Bộ Sửa"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    assert "Tên Chủ Hộ Cán Bộ Sửa" in member.get(f"/ho/{household.id}").get_data(as_text=True)
    member_token = TOKEN.search(member.get("/").get_data(as_text=True)).group(1)
    assert "Thành viên ghi lúc chiều" not in official.get(f"/ho/{household.id}").get_data(as_text=True)
    assert member.post(f"/ho/{household.id}/van-dong", data={
        "csrf_token": member_token, "uuid": str(uuid.uuid4()), "outcome": "considering", "channel": "home",
        "notes": "Thành viên ghi lúc chiều"}).status_code == 302
    assert "Thành viên ghi lúc chiều" in official.get(f"/ho/{household.id}").get_data(as_text=True)


def test_reads_and_refused_writes_raise_nothing(app, client, login, db, field):
    login(field["member"])
    commune_id, village_id = field["village"].commune_id, field["village"].id
    mine = _revision(db, commune_id), _revision(db, commune_id, village_id)
    client.get("/")
    client.get(f"/ho/{field['household'].id}")
    refused = client.post_form(f"/ho/{field['household'].id}/van-dong", {"uuid": "not-a-uuid", "outcome": "nope"})
    assert refused.status_code == 422
    assert (_revision(db, commune_id), _revision(db, commune_id, village_id)) == mine


def test_each_reader_gets_their_own_csrf_token_and_it_works(app, login, field):
    """Two sessions of the same member: the second is served the first one's kept page, with its own token."""
    first, second = _signed_in(app, field["member"]), _signed_in(app, field["member"])
    page_1 = first.get("/").get_data(as_text=True)
    page_2 = second.get("/").get_data(as_text=True)
    assert store(app).hits >= 1
    token_1, token_2 = TOKEN.search(page_1).group(1), TOKEN.search(page_2).group(1)
    assert token_1 != token_2 and page_2.count(token_2) == page_1.count(token_1) >= 2
    assert page_2.replace(token_2, "") == page_1.replace(token_1, "")
    answer = second.post(f"/ho/{field['household'].id}/van-dong",
                         data={"uuid": str(uuid.uuid4()), "outcome": "not_home", "channel": "home",
                               "csrf_token": token_2})
    assert answer.status_code == 302


GZIP = {"Accept-Encoding": "gzip, deflate, br"}  # as Chrome on Android asks


@pytest.mark.parametrize("path", ["/", "/ho/{household}"])
def test_a_kept_page_is_sent_gzip_compressed_as_built_with_the_readers_token(app, login, field, path):
    """A kept page is compressed once, when built (fieldwork/gzpage.py): what a reader gets must decompress (gzip
    checks its CRC-32 and length) to the page the builder got, with the reader's own token, which works."""
    path = path.format(household=field["household"].id)
    first, second = _signed_in(app, field["member"]), _signed_in(app, field["member"])
    built = first.get(path, headers=GZIP)
    served = second.get(path, headers=GZIP)
    assert store(app).hits >= 1
    for answer in (built, served):
        assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in answer.headers["Vary"]
        assert int(answer.headers["Content-Length"]) == len(answer.data)
    built_text, served_text = (gzip.decompress(a.data).decode() for a in (built, served))
    built_token, served_token = TOKEN.search(built_text).group(1), TOKEN.search(served_text).group(1)
    assert built_token != served_token and served_text.count(served_token) == built_text.count(built_token) >= 2
    assert served_text.replace(served_token, "") == built_text.replace(built_token, "")
    # The same page rendered afresh, without the store (compressed as it is sent): the same text.
    kept_pages, app.extensions["fieldwork.pagecache"] = store(app), None
    fresh = first.get(path, headers=GZIP)
    app.extensions["fieldwork.pagecache"] = kept_pages
    fresh_text = gzip.decompress(fresh.data).decode()
    assert fresh_text.replace(TOKEN.search(fresh_text).group(1), "") == built_text.replace(built_token, "")
    answer = second.post(f"/ho/{field['household'].id}/van-dong",
                         data={"uuid": str(uuid.uuid4()), "outcome": "not_home", "channel": "home",
                               "csrf_token": served_token})
    assert answer.status_code == 302


def test_a_kept_page_keeps_its_offline_etag_and_its_304(app, login, field):
    """The offline copy's ETag (the page without its token) is the same whether the page was built, served again
    compressed or served as text; a background refresh with it gets a 304 without a body or an encoding."""
    url = f"/ho/{field['household'].id}"
    first, second = _signed_in(app, field["member"]), _signed_in(app, field["member"])
    prefetch = {"X-Fieldwork-Prefetch": "1"}
    built = first.get(url, headers={**GZIP, **prefetch})
    served = second.get(url, headers={**GZIP, **prefetch})
    as_text = second.get(url, headers=prefetch)
    assert store(app).hits >= 2 and "Content-Encoding" not in as_text.headers
    etags = {a.headers["ETag"].removeprefix("W/") for a in (built, served, as_text)}
    assert len(etags) == 1, etags
    text = as_text.get_data()
    token = TOKEN.search(text.decode()).group(1).encode()
    assert etags == {'"' + hashlib.sha256(text.replace(token, b"")).hexdigest()[:32] + '"'}
    again = second.get(url, headers={**GZIP, **prefetch, "If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and "Content-Encoding" not in again.headers
    # The 304 carries what its 200 would: the same weak ETag, the same Vary.
    assert again.headers["ETag"] == served.headers["ETag"] and again.headers["ETag"].startswith("W/")
    assert "Accept-Encoding" in again.headers["Vary"]


def test_messages_are_shown_once_even_on_a_kept_page(app, client, login, field):
    login(field["member"])
    client.get("/")
    client.get("/")  # kept now
    client.post_form(f"/ho/{field['household'].id}/van-dong", {"uuid": str(uuid.uuid4()), "outcome": "not_home",
                                                               "channel": "home"})
    shown = client.get("/").get_data(as_text=True)
    assert 'class="flash flash-success"' in shown
    assert 'class="flash' not in client.get("/").get_data(as_text=True)


def test_a_kept_page_is_never_served_to_someone_else(app, client, login, db, make_village, make_committee, make_user,
                                                     make_household, field):
    household = field["household"]
    login(field["member"])
    assert client.get(f"/ho/{household.id}").status_code == 200
    stranger_village = make_village(commune_code=db.exec(select(Commune.code).where(
        Commune.id != field["village"].commune_id)).first())
    _, members = make_committee(stranger_village)
    stranger = make_user(Role.MEMBER, village=stranger_village, member=members[1])
    next_door = make_village(commune_code=db.get(Commune, field["village"].commune_id).code)
    _, neighbours = make_committee(next_door)
    same_commune = make_user(Role.MEMBER, village=next_door, member=neighbours[1])
    for user in (stranger, same_commune):
        login(user)
        assert client.get(f"/ho/{household.id}").status_code == 404


def test_switched_off(tmp_path, database_url, field):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "off"),
                      "SECRET_KEY": "off", "PAGE_CACHE_MB": 0})
    try:
        assert store(app) is None
        c = _signed_in(app, field["member"])
        assert "Hộ Giữ Trang" in c.get("/").get_data(as_text=True)
    finally:
        get_engine(app).dispose()


def test_without_kept_pages_the_household_page_reads_each_thing_once(tmp_path, database_url, field):
    """Switched off, the page is built every time: the user, the household with its village, its people, holder,
    visits and enrolments, the member's record. Its offline copy's owner is worked out while the household is
    loaded, not read again after the request's commit."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "off"),
                      "SECRET_KEY": "off", "PAGE_CACHE_MB": 0})
    try:
        c = _signed_in(app, field["member"])
        counter = Statements(app)
        page, statements = counter.during(lambda: c.get(f"/ho/{field['household'].id}"))
        assert page.status_code == 200 and page.headers.get("X-Fieldwork-Offline") == str(field["member"].id)
        assert statements == 7, statements
    finally:
        get_engine(app).dispose()


def test_the_store_keeps_within_its_size(app):
    pages = store(app)
    limit = pages.limit
    body = b"x" * (limit // 10)
    for i in range(30):
        pages.put(("k", i), 200, [], body)
    assert pages.size <= limit
    assert len(pages) < 30
    assert pages.get(("k", 29), None) is not None and pages.get(("k", 0), None) is None


def test_migrations_raise_nothing(app, db):
    """A migration's writes are not counted (the table may not exist yet); the servers restart after one anyway."""
    from fieldwork.migrate import alembic_config
    from alembic import command

    cfg = alembic_config(app)
    command.downgrade(cfg, "0011")
    command.upgrade(cfg, "head")
    with Session(get_engine(app)) as s:
        assert s.exec(text("SELECT count(*) FROM data_revision")).one()[0] == 0


# --- kept pages shared by every worker through Redis (PAGE_CACHE_URL) ----------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/14"


def _shared_app(tmp_path, database_url, name: str, url: str = REDIS_URL):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / name),
                      "SECRET_KEY": "shared", "PAGE_CACHE_URL": url})
    return app


def test_workers_share_kept_pages_through_redis(tmp_path, database_url, field):
    """Two workers forked from one app (same generation): a page one of them built, the other serves; a write
    through either shows on both; a server started afresh (a new generation) serves none of the old pages."""
    import redis

    assert redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping(), "start Redis on 127.0.0.1:6379"
    first, second, restarted = (_shared_app(tmp_path, database_url, n) for n in ("a", "b", "c"))
    try:
        assert isinstance(store(first), SharedStore)
        second.extensions["fieldwork.pagecache"] = SharedStore(REDIS_URL, 300, generation=store(first).generation)
        household = field["household"]
        on_first, on_second = _signed_in(first, field["member"]), _signed_in(second, field["member"])
        built, statements_built = Statements(first).during(lambda: on_first.get(f"/ho/{household.id}"))
        served, statements_served = Statements(second).during(lambda: on_second.get(f"/ho/{household.id}"))
        assert built.status_code == served.status_code == 200
        assert store(second).hits == 1 and statements_served < statements_built, (statements_served, statements_built)
        built_text, served_text = built.get_data(as_text=True), served.get_data(as_text=True)
        served_token, built_token = TOKEN.search(served_text).group(1), TOKEN.search(built_text).group(1)
        assert served_text.count(served_token) == built_text.count(built_token) >= 2
        assert served_text.replace(TOKEN.search(served_text).group(1), "T") == \
            built_text.replace(TOKEN.search(built_text).group(1), "T")
        assert "Ghi chú qua worker thứ nhất" not in served_text
        token = TOKEN.search(on_first.get("/").get_data(as_text=True)).group(1)
        assert on_first.post(f"/ho/{household.id}/van-dong", data={
            "csrf_token": token, "uuid": str(uuid.uuid4()), "outcome": "considering", "channel": "home",
            "notes": "Ghi chú qua worker thứ nhất"}).status_code == 302
        assert "Ghi chú qua worker thứ nhất" in on_second.get(f"/ho/{household.id}").get_data(as_text=True)
        fresh = _signed_in(restarted, field["member"])
        assert store(restarted).generation != store(first).generation
        fresh.get(f"/ho/{household.id}")  # the same key as the page the second worker just kept
        assert store(restarted).hits == 0
        fresh.get(f"/ho/{household.id}")  # kept by the restarted server itself
        assert store(restarted).hits == 1
    finally:
        for app in (first, second, restarted):
            get_engine(app).dispose()


def test_a_shared_store_keeps_what_it_was_given_and_honours_max_age():
    pages = SharedStore(REDIS_URL, 60)
    pages.put(("k", 1), 200, [("Content-Type", "text/html; charset=utf-8")], b"\x00packed\nbody\n", owner=7)
    _stored_at, status, headers, body, owner = pages.get(("k", 1), None)
    assert (status, headers, body, owner) == (200, [("Content-Type", "text/html; charset=utf-8")],
                                              b"\x00packed\nbody\n", 7)
    assert pages.get(("k", 2), None) is None
    assert pages.get(("k", 1), -1) is None  # older than asked for
    assert 0 < pages.client.ttl(pages._name(("k", 1))) <= 60
    assert SharedStore(REDIS_URL, 60).get(("k", 1), None) is None  # another generation
    pages.client.set(pages._name(("k", 3)), b"not ours\npage")  # a stray value under our name: a miss, no error
    assert pages.get(("k", 3), None) is None


def test_a_worker_serves_again_what_it_fetched_from_redis_without_asking_redis():
    """The copy in front of Redis: filled by a page fetched or kept, answering for the same key only, with the
    page's age (its build time) still counted for ``max_age``."""
    elsewhere = SharedStore(REDIS_URL, 60)
    here = SharedStore(REDIS_URL, 60, generation=elsewhere.generation, local_bytes=1024 * 1024)
    elsewhere.put(("k", 1), 200, [("Content-Type", "text/html; charset=utf-8")], b"page one", owner=3)
    stored_at = time.time()
    assert here.get(("k", 1), None)[1:] == (200, [("Content-Type", "text/html; charset=utf-8")], b"page one", 3)
    assert here.local.hits == 0 and len(here.local) == 1  # fetched from Redis, and kept here
    elsewhere.client.delete(elsewhere._name(("k", 1)))
    assert here.get(("k", 1), None)[3] == b"page one"  # from the worker's copy: Redis no longer has it
    assert here.local.hits == 1 and here.hits == 2
    assert here.get(("k", 2), None) is None
    time.sleep(0.2)
    assert here.get(("k", 1), time.time() - stored_at - 0.1) is None  # built longer ago than that, wherever kept
    here.put(("k", 4), 200, [], b"built here")
    elsewhere.client.delete(here._name(("k", 4)))
    assert here.get(("k", 4), None)[3] == b"built here"


def test_pages_are_built_as_usual_when_redis_is_down(tmp_path, database_url, field):
    app = _shared_app(tmp_path, database_url, "down", url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        c = _signed_in(app, field["member"])
        for _ in range(3):
            page = c.get(f"/ho/{field['household'].id}")
            assert page.status_code == 200 and "Hộ Giữ Trang" in page.get_data(as_text=True)
        # One failure, then the store is left alone for a while instead of being tried on every request; the
        # worker's own copies in front of it still serve the page again.
        assert store(app).failures == 1 and store(app).local.hits == 2
    finally:
        get_engine(app).dispose()


@pytest.mark.parametrize("who", ["member", "official"])
def test_the_revisions_loaded_with_the_user_are_those_read_alone_and_move_with_each_write(app, db, field, who):
    """The user's statement brings the counters (one statement per kept page); read on their own (no user loaded
    in the request) they are the same, and a write where the user works, or anywhere (row 0, 0), changes them."""
    from flask import g

    from fieldwork.auth import load_user
    from fieldwork.pagecache import revisions

    user = field[who]
    cookie_id = f"{user.id}:{user.session_version}"

    def both() -> tuple:
        with app.test_request_context("/"):
            loaded = load_user(cookie_id)
            with_user = revisions(db, loaded)
            g.pop("_data_revisions")
            alone = revisions(db, loaded)
        assert with_user == alone, (with_user, alone)
        return with_user

    def bump(commune_id: int, village_id: int) -> None:
        row = db.get(DataRevision, (commune_id, village_id)) or DataRevision(commune_id=commune_id,
                                                                             village_id=village_id)
        row.revision += 1
        db.add(row)
        db.commit()

    commune_id, village_id = field["village"].commune_id, field["village"].id
    seen = [both()]
    for where in [(commune_id, village_id), (commune_id, 0), (0, 0)]:
        bump(*where)
        seen.append(both())
        assert seen[-1] != seen[-2], where
    other = next(c.id for c in db.exec(select(Commune)).all() if c.id != commune_id)
    bump(other, 0)  # another commune's write: nothing of this user's changes
    assert both() == seen[-1]
