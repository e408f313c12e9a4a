"""Works without signal: the installable app (manifest, service worker), the phone's queue of visits and the
endpoint that records them exactly once, and what keeps pages light on a weak connection (gzip, versioned assets)."""

from flask import Blueprint

bp = Blueprint("offline", __name__)

from . import views, web  # noqa: E402,F401
