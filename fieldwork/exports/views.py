"""The collection agents' lists: the form (GET, prefilled from the query) and the download (POST)."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user, login_required

from ..db import get_session
from ..htmx import render
from ..text import local_today
from . import bp, layouts, services
from .forms import AgentListForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # full identifiers: not kept by browsers or proxies
    return response


@bp.route("/danh-sach-thu", methods=["GET", "POST"])
@login_required
def agent_lists():
    """An empty list is answered on the page, not with a file: nothing to print or file, nothing disclosed."""
    db = get_session()
    access = services.list_access(db, current_user, request.values.get("xa", type=int))
    form = AgentListForm(access, **({} if request.method == "POST" else {"formdata": request.args or None}))
    listing = None
    if form.validate_on_submit():
        try:
            listing = services.build_list(db, current_user, access, form.mau.data, form.thon.data, form.tu.data,
                                          form.den.data, local_today())
        except services.ListError as error:
            form.put_error(error.message, error.field)
        else:
            if listing.rows:
                services.record_download(db, current_user, listing)
                return _xlsx(layouts.list_workbook(listing), listing.filename)
    return render("exports/agent_lists.html", form=form, access=access, empty=listing,
                  status=422 if form.is_submitted() and listing is None else 200)
