"""The floor of a signed-in form POST on this stack: what the visit POST costs before it does anything of its own.

``bench.ab`` serves this app instead of ``fieldwork:create_app()`` when it measures a floor endpoint: the production
app unchanged (same configuration, hooks, session, sign-in, CSRF protection, database), plus two routes that receive
the visit form's body exactly as the visit POST does and answer as it does (a flash message, 302 to the worklist):

- ``POST floor``: signed in (``login_required``: the user's row is loaded, the session's lifetime checked), the CSRF
  token checked, the form parsed; nothing else read, nothing written.
- ``POST floor + scope``: the same, plus the visit POST's own reading of the form (``plain_input``) and its one
  statement for the household, its holder and the member (``household_held_by``); still nothing written.

Against the visit POST in the same run, these split its cost into what Flask, flask-login, Flask-WTF and a database
round trip take whatever the view does, and what the view's writes add (docs/performance.md, eleventh session).
The routes exist only in this benchmark's server; the app that production serves has none of them.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import fieldwork
from fieldwork.db import get_session
from fieldwork.security import household_held_by
from fieldwork.models import VisitOutcome, utcnow
from fieldwork.visits.forms import plain_input

bp = Blueprint("bench_floor", __name__)
OUTCOMES = {o.value for o in VisitOutcome}


@bp.route("/_san/ghi/<int:household_id>", methods=["POST"])
@login_required
def signed_in_post(household_id: int):
    outcome = request.form.get("outcome")
    try:
        uuid.UUID(request.form.get("uuid", ""))
    except ValueError:
        abort(422)
    if outcome not in OUTCOMES:
        abort(422)
    flash(_("Đã ghi nhận: %(outcome)s — hộ %(name)s.", outcome=VisitOutcome(outcome).label, name=household_id),
          "success")
    return redirect(url_for("main.home"))


@bp.route("/_san/ho/<int:household_id>", methods=["POST"])
@login_required
def signed_in_post_with_scope(household_id: int):
    data = plain_input(request.form, utcnow())
    found = household_held_by(get_session(), current_user, household_id) if data is not None else None
    if found is None:
        abort(404)
    household, _member = found
    flash(_("Đã ghi nhận: %(outcome)s — hộ %(name)s.", outcome=data.outcome.label, name=household.head_name),
          "success")
    return redirect(url_for("main.home"))


def create_app():
    app = fieldwork.create_app()
    app.register_blueprint(bp)
    return app
