"""Outreach events: the list, logging a new event, one event with the enrolments that came from it, corrections."""

from __future__ import annotations

from typing import Optional

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..htmx import render
from ..models import OutreachEvent
from ..text import local_today
from . import bp, services
from .forms import EventForm


def _authoring_or_403(db) -> services.Authoring:
    auth = services.authoring(db, current_user)
    if auth is None:
        abort(403)
    return auth


def _form(auth: services.Authoring, event: Optional[OutreachEvent] = None) -> EventForm:
    form = EventForm.for_event(event) if event is not None and request.method == "GET" else EventForm()
    form.village.choices = auth.village_choices()
    return form


def _form_error(form: EventForm, error: services.EventError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def _form_page(form: EventForm, event: Optional[OutreachEvent]):
    return render("events/form.html", form=form, event=event, status=422 if form.is_submitted() else 200)


@bp.route("/hoat-dong")
@login_required
def index():
    db = get_session()
    listing = services.list_events(db, current_user, kind=request.args.get("loai"), village=request.args.get("thon"),
                                   page=request.args.get("trang", 1, type=int))
    return render("events/list.html", "events/_rows.html", listing=listing, today=local_today(),
                  can_create=services.authoring(db, current_user) is not None)


@bp.route("/hoat-dong/moi", methods=["GET", "POST"])
@login_required
def create():
    db = get_session()
    auth = _authoring_or_403(db)
    form = _form(auth)
    if form.validate_on_submit():
        try:
            event = services.create_event(db, auth, form.values(), actor=current_user, today=local_today())
        except services.EventError as error:
            _form_error(form, error)
        else:
            flash(_("Đã ghi hoạt động “%(title)s”.", title=event.title), "success")
            return redirect(url_for(".detail", event_id=event.id))
    return _form_page(form, None)


@bp.route("/hoat-dong/<int:event_id>")
@login_required
def detail(event_id: int):
    db = get_session()
    event = services.get_event_for_user(db, current_user, event_id)
    return render("events/detail.html", page=services.event_page(db, current_user, event), today=local_today())


@bp.route("/hoat-dong/<int:event_id>/sua", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    db = get_session()
    event = services.get_event_for_user(db, current_user, event_id)
    auth = _authoring_or_403(db)
    if not auth.may_edit(event):
        abort(403)
    form = _form(auth, event)
    if form.validate_on_submit():
        try:
            services.update_event(db, auth, event, form.values(), actor=current_user, today=local_today())
        except services.EventError as error:
            _form_error(form, error)
        else:
            flash(_("Đã lưu hoạt động."), "success")
            return redirect(url_for(".detail", event_id=event.id))
    return _form_page(form, event)
