"""The change forms: a new name from a date, or the unit to merge into from a date (then a confirmation)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from ..committees.forms import ChoiceField, LocalDateField

_DATE_MISSING = _l("Hãy chọn ngày bắt đầu có hiệu lực, ví dụ 01/07/2025.")


class _ChangeForm(FlaskForm):
    effective_on = LocalDateField(_l("Có hiệu lực từ ngày"), validators=[InputRequired(_DATE_MISSING)],
                                  render_kw={"type": "date"})
    note = TextAreaField(_l("Căn cứ, ghi chú (không bắt buộc)"), render_kw={"rows": 2, "maxlength": 500})


class RenameForm(_ChangeForm):
    # No length or emptiness validators here: the service checks the name, so the CLI says the same thing.
    new_name = StringField(_l("Tên mới"), render_kw={"autocomplete": "off", "maxlength": 120})


class MergeCommuneForm(_ChangeForm):
    into = StringField(_l("Mã xã, phường nhận sáp nhập"),
                       render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 5})
    confirm = HiddenField()

    def validate_into(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Hãy nhập mã xã, phường nhận sáp nhập (5 chữ số), ví dụ 07264."))


class MergeVillageForm(_ChangeForm):
    into = ChoiceField(_l("Thôn, tổ dân phố nhận sáp nhập"), coerce=str)
    confirm = HiddenField()

    def __init__(self, choices: list[tuple[int, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.into.choices = [("", str(_l("— Chọn thôn —")))] + [(str(v), label) for v, label in choices]

    def validate_into(self, field):
        if not field.data:
            raise ValidationError(_l("Hãy chọn thôn, tổ dân phố nhận sáp nhập trong danh sách."))
