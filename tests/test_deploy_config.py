"""The production samples in docs/deploy/ are real: gunicorn starts with the config file as the guide says, the
environment example names only settings the app has, and nginx serves the folder the app's static files are in."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

from fieldwork import PROJECT_ROOT
from fieldwork.config import Defaults

from .fuzz_server import GUNICORN, free_port

DEPLOY = PROJECT_ROOT / "docs" / "deploy"


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "fieldwork.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_gunicorn_serves_the_app_with_the_sample_config(database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "FIELDWORK_DATABASE_URL": database_url, "FIELDWORK_INSTANCE_PATH": str(tmp_path),
           "FIELDWORK_SECRET_KEY": "deploy-test", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
           "GUNICORN_THREADS": "2"}
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
                    request = urllib.request.Request(f"http://127.0.0.1:{port}/dang-nhap",
                                                     headers={"X-Forwarded-For": "203.0.113.7"})
                    with urllib.request.urlopen(request, timeout=5) as response:
                        status, body = response.status, response.read().decode()
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            assert status == 200 and "Đăng nhập" in body
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    text = log.read_text()
    assert re.search(r"Using worker: gthread", text)
    assert len(re.findall(r"Booting worker with pid", text)) == 2  # GUNICORN_WORKERS was read
    # The access log names the client address nginx passed on, as the config's format says.
    assert re.search(r'^203\.0\.113\.7 .*"GET /dang-nhap HTTP/1\.1" 200', text, re.M), text


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
