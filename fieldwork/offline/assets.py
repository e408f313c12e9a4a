"""The app shell the service worker keeps, and what the manifest says: built from the files actually there."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _

THEME_COLOUR = "#0b5d3b"
BACKGROUND_COLOUR = "#ffffff"
SHELL_FILES = ("css/app.css", "js/offline-queue.js", "js/offline.js", "icons/icon-192.png")


def _htmx() -> str:
    """The vendored htmx, whatever its version (the version is in its file name)."""
    found = sorted(Path(current_app.static_folder, "js").glob("htmx-*.min.js"))
    return f"js/{found[-1].name}"


def shell_urls() -> list[str]:
    """Static files every page needs, at their current version."""
    return [url_for("static", filename=name) for name in (*SHELL_FILES, _htmx())]


def service_worker_context() -> dict:
    precache = [*shell_urls(), url_for("offline.offline_page"), url_for("offline.manifest")]
    version = hashlib.sha256(json.dumps(precache).encode()).hexdigest()[:12]
    return {"version": version, "precache": precache, "offline_url": url_for("offline.offline_page"),
            "queue_js": url_for("static", filename="js/offline-queue.js")}


def _icon(name: str) -> str:
    return url_for("static", filename=f"icons/{name}")


def manifest() -> dict:
    """Installable: Vietnamese name, icons, theme colour, opens at the worklist like an app."""
    return {
        "name": _("Fieldwork — Vận động BHXH, BHYT"),
        "short_name": "Fieldwork",
        "description": _("Ban vận động người dân tham gia BHXH, BHYT"),
        "lang": "vi",
        "start_url": url_for("main.home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": _icon("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": _icon("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": _icon("icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
            {"src": _icon("icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
