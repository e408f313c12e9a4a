from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, flash, jsonify, make_response, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import IntegrityError, OperationalError

from ..db import get_session
from ..extensions import csrf
from ..models import utcnow
from ..security import member_record
from . import assets, bp, sync


def _error(code: str, status: int):
    response = jsonify(error=code)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sw.js")
def service_worker():
    response = make_response(render_template("offline/sw.js", **assets.service_worker_context()))
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    body = json.dumps(assets.manifest(), ensure_ascii=False, indent=1)
    return current_app.response_class(body, mimetype="application/manifest+json")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page says: a 32 px PNG rather than a 404 page on every first load."""
    return send_from_directory(Path(current_app.static_folder) / "icons", "favicon-32.png", mimetype="image/png",
                               max_age=7 * 24 * 3600)


@bp.route("/dong-bo/ngoai-tuyen")
def offline_page():
    """What the phone shows offline for a page it has not kept: nothing personal, it is cached for every user."""
    return render_template("offline/offline.html")


@bp.route("/dong-bo/phien")
def session_state():
    """Who is signed in and a fresh CSRF token, for a queue that must send under the right login."""
    if not current_user.is_authenticated:
        return _error("signed_out", 401)
    response = jsonify(user_id=current_user.id, csrf=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/dong-bo/van-dong", methods=["POST"])
@csrf.exempt  # checked below, after the session: an expired login must answer 401, not "bad token"
def sync_visits():
    if not current_user.is_authenticated:
        return _error("signed_out", 401)
    try:
        csrf.protect()
        db = get_session()
        items = sync.batch_items(request.get_json(silent=True), current_user)
        member = member_record(db, current_user)
        if member is None:
            return _error("not_member", 403)
        results = sync.sync_visits(db, current_user, member, items, utcnow())
        db.flush()
    except CSRFError:
        return _error("csrf", 400)
    except sync.SyncError as error:
        return _error(error.code, error.status)
    except (IntegrityError, OperationalError):  # the same visit sent at the same moment by another tab: retry
        get_session().rollback()
        return _error("retry", 503)
    _flash_saved(results, request.get_json(silent=True).get("interactive"))
    return jsonify(results=[r.as_json() for r in results])


def _flash_saved(results: list[sync.ItemResult], interactive) -> None:
    """The member who just tapped "save" sees the same confirmation as without the queue."""
    for r in results:
        if r.uuid == interactive and r.status in sync.CONFIRMED and r.outcome:
            flash(_("Đã ghi nhận: %(outcome)s — hộ %(name)s.", outcome=r.outcome, name=r.household), "success")
