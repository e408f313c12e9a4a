from __future__ import annotations

from typing import Optional

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, logout_user

from ..db import get_session
from ..htmx import render
from ..models import User
from ..security import safe_next
from . import bp, limits, services, sessions
from .forms import ChangePasswordForm, LanguageForm, LoginForm


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limits.per_address
@limits.per_account
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
    refusal = _refusal(user)
    if refusal:
        form.password.errors.append(refusal)
        return render("auth/login.html", form=form, status=401)
    sessions.sign_in(user, remember=bool(form.remember.data))
    services.note_sign_in(db, user)
    next_url = safe_next(form.next.data, url_for("main.home"))
    if user.must_change_password:
        return redirect(url_for("auth.change_password", next=next_url))
    return redirect(next_url)


def _refusal(user: Optional[User]) -> Optional[str]:
    """Why this sign-in is refused, or None."""
    if user is None:
        limits.note_failure()
        # One message for an unknown phone, a wrong password and a locked account alike.
        return _("Số điện thoại hoặc mật khẩu không đúng. Hãy kiểm tra lại và thử lại.")
    days = current_app.config["ONE_TIME_PASSWORD_DAYS"]
    if services.one_time_password_expired(user, days):
        return _("Mật khẩu cán bộ xã cấp đã hết hạn vì quá %(n)s ngày chưa được đổi. Hãy nhờ cán bộ xã cấp mật "
                 "khẩu mới.", n=days)
    return None


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@login_required
@limits.per_address
@limits.per_account
def change_password():
    form = ChangePasswordForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            services.change_password(get_session(), current_user._get_current_object(),
                                     current=form.current_password.data, new=form.new_password.data)
        except services.PasswordError as error:
            if error.field == "current_password":
                limits.note_failure()
            getattr(form, error.field).errors.append(error.message)
        else:
            sessions.refresh_login(current_user._get_current_object())
            flash(_("Đã đổi mật khẩu. Các máy khác đang đăng nhập tài khoản này đã bị đăng xuất."), "success")
            return redirect(safe_next(form.next.data, url_for("main.home")))
    return render("auth/change_password.html", form=form, status=422 if form.is_submitted() else 200)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    """Too many wrong passwords: the same form, what was typed kept (not the password), and how long to wait."""
    change = request.endpoint == "auth.change_password" and current_user.is_authenticated
    form = ChangePasswordForm() if change else LoginForm()
    field = form.current_password if change else form.password
    field.errors = [_("Đã nhập sai mật khẩu quá nhiều lần. Hãy chờ %(wait)s rồi thử lại, hoặc nhờ cán bộ xã cấp "
                      "mật khẩu mới.", wait=limits.wait_text(error))]
    template = "auth/change_password.html" if change else "auth/login.html"
    response = render(template, form=form, status=429)
    response.headers["Retry-After"] = str(error.limit.limit.get_expiry())
    return response


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
