from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..db import get_session
from ..htmx import render
from ..security import safe_next
from . import bp, services
from .forms import LanguageForm, LoginForm


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, status=422 if request.method == "POST" else 200)
    db = get_session()
    user = services.authenticate(db, form.phone.data, form.password.data)
    if user is None:
        # One message for an unknown phone, a wrong password and a locked account alike.
        form.password.errors.append(_("Số điện thoại hoặc mật khẩu không đúng. Hãy kiểm tra lại và thử lại."))
        return render("auth/login.html", form=form, status=401)
    session.clear()  # a fresh session on sign-in (no fixation)
    login_user(user, remember=bool(form.remember.data))
    services.note_sign_in(db, user)
    return redirect(safe_next(form.next.data, url_for("main.home")))


@bp.route("/dang-xuat", methods=["POST"])
@login_required
def logout():
    services.sign_out_everywhere(get_session(), current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/ngon-ngu", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
            get_session().add(current_user._get_current_object())
    return redirect(safe_next(form.next.data, url_for("main.home")))
