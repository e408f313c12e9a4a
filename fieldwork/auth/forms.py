from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .passwords import MAX_LENGTH, password_problem


class LoginForm(FlaskForm):
    phone = StringField(
        _l("Số điện thoại"),
        validators=[DataRequired(_l("Hãy nhập số điện thoại đã đăng ký, ví dụ 0912345678."))],
        render_kw={"autocomplete": "username", "inputmode": "tel", "autofocus": True},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[
            DataRequired(_l("Hãy nhập mật khẩu.")),
            Length(max=MAX_LENGTH, message=_l("Mật khẩu dài tối đa 256 ký tự.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"), default=False)
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu hiện tại (mật khẩu bạn vừa dùng để đăng nhập)."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu mới."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Hãy nhập lại mật khẩu mới.")),
                    EqualTo("new_password", _l("Hai lần nhập mật khẩu mới không giống nhau; hãy nhập lại cả hai."))],
        render_kw={"autocomplete": "new-password"},
    )
    next = HiddenField()

    def validate_new_password(self, field) -> None:
        problem = password_problem(field.data or "", phone=current_user.phone, name=current_user.display_name)
        if problem:
            raise ValidationError(problem)


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()
