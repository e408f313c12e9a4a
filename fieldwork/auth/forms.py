from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


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
            Length(max=256, message=_l("Mật khẩu dài tối đa 256 ký tự.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"), default=False)
    next = HiddenField()


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()
