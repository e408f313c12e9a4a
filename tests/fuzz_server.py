"""The app under gunicorn for the concurrency tests, and a small browser over real HTTP (urllib): cookies kept,
redirects not followed, the CSRF token read from the page as htmx reads it."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fieldwork import PROJECT_ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn --preload "fieldwork:create_app()"`` on a free loopback port, configured through FIELDWORK_*
    variables as in production; its log (every worker's stderr, the app's tracebacks) goes to ``log``. Preloading
    imports the app once instead of once per worker (the workers are forked before any database connection)."""

    def __init__(self, database_url: str, instance: Path, log: Path, *, workers: int = 4, threads: int = 2) -> None:
        self.port = free_port()
        self.boot_seconds = 0.0
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "FIELDWORK_DATABASE_URL": database_url, "FIELDWORK_INSTANCE_PATH": str(instance),
               "FIELDWORK_SECRET_KEY": "concurrency-" + os.urandom(8).hex()}
        command = [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                   "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60",
                   "--graceful-timeout", "5", "--error-logfile", "-", "--preload", "fieldwork:create_app()"]
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=self._log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker has answered (the first answers come while the others still import the app)."""
        deadline, answers = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/dang-nhap", timeout=5) as response:
                    answers += response.status == 200
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.2)
                continue
            if answers >= 8:
                return
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log_file.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    location: Optional[str]
    body: str


class Browser:
    """One person's browser: its own cookies, the page's CSRF token sent back with every form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())
        self.token: Optional[str] = None

    def request(self, path: str, data: Optional[dict] = None, timeout: float = 30) -> Answer:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrf_token": self.token, **data}, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=body, method="POST" if body is not None else "GET")
        try:
            with self.opener.open(req, timeout=timeout) as response:
                answer = Answer(response.status, response.headers.get("Location"), response.read().decode())
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            answer = Answer(error.code, error.headers.get("Location"), error.read().decode(errors="replace"))
        match = CSRF.search(answer.body)
        if match:
            self.token = match.group(1)
        return answer

    def sign_in(self, phone: str, password: str) -> None:
        self.request("/dang-nhap")
        answer = self.request("/dang-nhap", {"phone": phone, "password": password})
        assert answer.status == 302, f"sign-in of {phone} answered {answer.status}"
        self.request("/")  # the token of the signed-in session
