from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..committees.forms import LocalDateField
from . import services


def _rule(check):
    def validator(_form, field):
        message = check(field.data)
        if message:
            raise ValidationError(message)

    return validator


class _ValueForm(FlaskForm):
    """The fields a row's correction shares with a new row; the value is read in ``unit`` (see services.parse_value)."""

    value = StringField(_l("Giá trị"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    valid_from = LocalDateField(_l("Áp dụng từ ngày"), validators=[_rule(services.valid_from_error)],
                                render_kw={"type": "date"})
    legal_source = StringField(_l("Căn cứ pháp lý"), validators=[_rule(services.legal_source_error)])
    note = TextAreaField(_l("Ghi chú (không bắt buộc)"), validators=[
        Length(max=2000, message=_l("Ghi chú dài tối đa 2000 ký tự; hãy rút gọn."))])

    unit: str | None = None
    duplicate_of: int | None = None  # set when the date is taken: the page links to that row

    def validate_value(self, field):
        if self.unit is None:
            return  # no unit without a valid key: the key's own message says what to do
        try:
            services.parse_value(field.data, self.unit)
        except services.ParameterError as error:
            raise ValidationError(error.message) from None

    def values(self) -> dict:
        return {"value": services.parse_value(self.value.data, self.unit), "valid_from": self.valid_from.data,
                "legal_source": self.legal_source.data, "note": self.note.data}


class NewParameterForm(_ValueForm):
    key = SelectField(_l("Tham số"), validate_choice=False)
    province_code = SelectField(_l("Tỉnh, thành phố (chỉ cho khoản tỉnh hỗ trợ thêm)"), validate_choice=False)

    def __init__(self, provinces, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key.choices = services.key_choices()
        self.province_choices = [(p.code, p.name) for p in provinces]
        self.province_code.choices = [("", str(_l("Toàn quốc (không chọn tỉnh)"))), *self.province_choices]
        self.unit = services.unit_of(self.key.data or "")

    def validate_key(self, field):
        message = services.key_error(field.data)
        if message:
            raise ValidationError(message)

    def validate_province_code(self, field):
        known = {code for code, _name in self.province_choices}
        message = services.province_error(self.key.data, field.data or None, known)
        if message:
            raise ValidationError(message)

    def values(self) -> dict:
        return {"key": self.key.data, "province_code": self.province_code.data or None, **super().values()}


class EditParameterForm(_ValueForm):
    def __init__(self, unit: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
