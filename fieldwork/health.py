"""``GET /suc-khoe``: the process is up and answers. For deploy health checks (the proxy, systemd, a monitor) and
for the load benchmark (bench/load.py), where it is the trivial endpoint whose throughput is the ceiling of the
server stack: no database, no session, no template, so what it costs is Flask + gunicorn and nothing of ours."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("health", __name__)


@bp.route("/suc-khoe")
def health() -> Response:
    """A two-byte text answer, never cached (a monitor must reach the process, not a cache)."""
    response = Response("ok", mimetype="text/plain")
    response.cache_control.no_store = True
    return response
