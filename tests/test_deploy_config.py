"""The production samples in docs/deploy/ are real: gunicorn starts with the config file as the guide says, the
environment example names only settings the app has, and nginx serves the folder the app's static files are in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from fieldwork import PROJECT_ROOT
from fieldwork.config import Defaults
from fieldwork.models import Role

from .conftest import PASSWORD
from .fuzz_server import GUNICORN, free_port

DEPLOY = PROJECT_ROOT / "docs" / "deploy"


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "fieldwork.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


@contextmanager
def _gunicorn(database_url, tmp_path, **env_extra):
    """gunicorn with the sample config, 2 workers × 2 threads; yields (port, log path) once it answers."""
    port = free_port()
    env = {**os.environ, "FIELDWORK_DATABASE_URL": database_url, "FIELDWORK_INSTANCE_PATH": str(tmp_path),
           "FIELDWORK_SECRET_KEY": "deploy-test", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
           "GUNICORN_THREADS": "2", **env_extra}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(GUNICORN), "-c", str(DEPLOY / "gunicorn.conf.py"), "fieldwork:create_app()"],
                                  cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            status, deadline = None, time.monotonic() + 60
            while status is None and time.monotonic() < deadline:
                assert server.poll() is None, log.read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/suc-khoe", timeout=5) as response:
                        status = response.status
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            assert status == 200, log.read_text()
            yield port, log
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def test_gunicorn_serves_the_app_with_the_sample_config(database_url, tmp_path):
    with _gunicorn(database_url, tmp_path) as (port, log):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/dang-nhap",
                                         headers={"X-Forwarded-For": "203.0.113.7"})
        with urllib.request.urlopen(request, timeout=5) as response:
            status, body = response.status, response.read().decode()
        assert status == 200 and "Đăng nhập" in body
    text = log.read_text()
    assert re.search(r"Using worker: gthread", text)
    assert len(re.findall(r"Booting worker with pid", text)) == 2  # GUNICORN_WORKERS was read
    # The access log names the client address nginx passed on, as the config's format says.
    assert re.search(r'^203\.0\.113\.7 .*"GET /dang-nhap HTTP/1\.1" 200', text, re.M), text


def test_gunicorn_workers_share_kept_pages_through_redis(database_url, tmp_path, make_village, make_committee,
                                                         make_user, make_household):
    """The province's setting: the workers, forked from one preloaded app, keep pages in one Redis store under one
    generation; a page built once is served by whichever worker answers next, not built again by each."""
    import redis

    store = redis.Redis.from_url("redis://127.0.0.1:6379/13", socket_connect_timeout=1)
    assert store.ping(), "start Redis on 127.0.0.1:6379"
    store.flushdb()  # this test's own database: no pages of an earlier run
    village = make_village()
    _, members = make_committee(village)
    member = make_user(Role.MEMBER, village=village, member=members[1])
    household = make_household(village, assigned_to=members[1], people=2, head_name="Hộ Dùng Chung Trang")
    with _gunicorn(database_url, tmp_path, FIELDWORK_PAGE_CACHE_URL="redis://127.0.0.1:6379/13",
                   FIELDWORK_COUNT_QUERIES="1") as (port, _log):
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        base = f"http://127.0.0.1:{port}"
        page = browser.open(f"{base}/dang-nhap", timeout=10).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "phone": member.phone, "password": PASSWORD}).encode()
        assert "Hộ Dùng Chung Trang" in browser.open(f"{base}/dang-nhap", form, timeout=10).read().decode()

        def statements() -> int:
            with browser.open(f"{base}/ho/{household.id}", timeout=10) as response:
                assert "Hộ Dùng Chung Trang" in response.read().decode()
                return int(response.headers["X-Query-Count"])

        built = statements()
        with ThreadPoolExecutor(max_workers=8) as pool:  # enough at once that both workers answer some
            served = list(pool.map(lambda _i: statements(), range(24)))
        assert max(served) < built, (built, served)
        generations = {key.split(b":")[2] for key in store.scan_iter(match=b"fieldwork:page:*")}
    assert len(generations) == 1, generations


def test_the_environment_example_names_only_settings_the_app_has():
    names = {key.removeprefix("FIELDWORK_") for key in _env_example() if key.startswith("FIELDWORK_")}
    settings = {name for name in vars(Defaults) if name.isupper()} | {"DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH"}
    assert names and names <= settings, names - settings
    gunicorn = {key for key in _env_example() if key.startswith("GUNICORN_")}
    assert gunicorn and all(key in (DEPLOY / "gunicorn.conf.py").read_text() for key in gunicorn)


def test_the_pool_fits_under_postgresqls_connection_limit():
    env = _env_example()
    per_worker = int(env["FIELDWORK_DB_POOL_SIZE"]) + int(env["FIELDWORK_DB_MAX_OVERFLOW"])
    assert int(env["FIELDWORK_DB_POOL_SIZE"]) >= int(env["GUNICORN_THREADS"])  # a thread never waits for a connection
    limit = int(re.search(r"^max_connections = (\d+)", (DEPLOY / "postgresql.conf").read_text(), re.M).group(1))
    assert int(env["GUNICORN_WORKERS"]) * per_worker < limit


def test_nginx_serves_the_apps_static_folder_and_leaves_the_service_worker_to_the_app():
    conf = (DEPLOY / "nginx-fieldwork.conf").read_text()
    alias = re.search(r"location /static/ \{\s*alias /opt/fieldwork/(\S+);", conf).group(1)
    assert (PROJECT_ROOT / alias.rstrip("/")).resolve() == (PROJECT_ROOT / "static").resolve()
    assert "location /sw.js" not in conf and "proxy_set_header X-Forwarded-For $remote_addr;" in conf


def test_workers_are_forked_with_the_imported_app_out_of_the_collectors_reach():
    """gunicorn.conf.py's pre_fork hook freezes what the preloaded app holds (gc.freeze): run in a fresh interpreter
    that imported the app, as gunicorn's master has, it moves every tracked object to the permanent generation."""
    code = ("import gc, runpy; import fieldwork; "
            f"hooks = runpy.run_path({str(DEPLOY / 'gunicorn.conf.py')!r}); "
            "before = gc.get_freeze_count(); hooks['pre_fork'](None, None); "
            "print(before, gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT,
                         timeout=60, check=True).stdout.split()
    before, frozen, left = map(int, out)
    assert before == 0 and frozen > 10_000 and left < frozen // 10, out
