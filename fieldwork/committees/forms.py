from __future__ import annotations

from datetime import date
from typing import Optional as Opt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..fields import ChoiceField  # noqa: F401 - imported from here by other forms
from ..households import rules
from ..labels import label
from ..models import Organisation, VillageKind
from ..text import format_date, local_today


INVALID_DATE = _l("Ngày không hợp lệ; hãy chọn ngày hoặc nhập theo dạng ngày/tháng/năm, ví dụ 15/08/2025.")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)  # the days the office's papers can carry


def plausible_date(_form, field):
    """Refuse a day no paper carries (year 1, year 9999): it would be stored, and overflow later arithmetic."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(INVALID_DATE)


class LocalDateField(DateField):
    """``<input type=date>`` sends 2025-08-15; a phone without a date picker sends what was typed, 15/08/2025.
    Empty input is left to ``InputRequired``, so the person sees one message, not two."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [*(validators or []), plausible_date], format=["%Y-%m-%d", "%d/%m/%Y"],
                         invalid_value_message=INVALID_DATE, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            self.raw_data = []  # spaces alone are no date: InputRequired (which reads raw_data) says so
            return
        super().process_formdata([v.strip() for v in valuelist])


def _check(rule):
    def validator(_form, field):
        message = rule(field.data)
        if message:
            raise ValidationError(message)

    return validator


def _choices(enum_cls) -> list[tuple[str, str]]:
    return [(m.value, label(m)) for m in enum_cls]


class VillageForm(FlaskForm):
    commune_code = StringField(_l("Mã xã"), validators=[
        DataRequired(_l("Hãy nhập mã xã gồm 5 chữ số (ví dụ 07264) để biết thôn thuộc xã nào."))],
        render_kw={"inputmode": "numeric"})
    code = StringField(_l("Mã thôn"), validators=[
        DataRequired(_l("Hãy nhập mã thôn (ví dụ T01); mã không được trùng trong xã.")),
        Length(max=20, message=_l("Mã thôn dài tối đa 20 ký tự."))])
    name = StringField(_l("Tên thôn"), validators=[
        DataRequired(_l("Hãy nhập tên thôn, có dấu (ví dụ Thôn Đồng Bông).")),
        Length(max=120, message=_l("Tên thôn dài tối đa 120 ký tự."))])
    kind = ChoiceField(_l("Loại"), default=VillageKind.THON.value)

    def __init__(self, *args, with_commune: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(VillageKind)
        if not with_commune:  # an official's villages are in their commune; only an admin says which
            del self.commune_code

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in ("code", "name", "kind")}


class CommitteeForm(FlaskForm):
    established_on = LocalDateField(_l("Ngày thành lập"), validators=[
        InputRequired(_l("Hãy nhập ngày thành lập ban (ngày/tháng/năm)."))])
    decision_ref = StringField(_l("Số quyết định thành lập (không bắt buộc)"), validators=[
        Length(max=80, message=_l("Số quyết định dài tối đa 80 ký tự."))])

    def values(self) -> dict:
        return {"established_on": self.established_on.data, "decision_ref": self.decision_ref.data}


class MemberForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[_check(rules.name_error)])
    phone = StringField(_l("Điện thoại"), validators=[_check(rules.phone_error)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    organisation = ChoiceField(_l("Tổ chức"), default=Organisation.FRONT.value)
    title = StringField(_l("Chức danh (không bắt buộc)"), validators=[
        Length(max=120, message=_l("Chức danh dài tối đa 120 ký tự."))])
    is_head = BooleanField(_l("Là trưởng ban"))
    joined_on = LocalDateField(_l("Ngày vào ban"), default=local_today, validators=[
        InputRequired(_l("Hãy nhập ngày vào ban (ngày/tháng/năm)."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = _choices(Organisation)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("full_name", "phone", "organisation", "title", "is_head", "joined_on")}


class LeaveForm(FlaskForm):
    left_on = LocalDateField(_l("Ngày rời ban"), default=local_today, validators=[
        InputRequired(_l("Hãy nhập ngày rời ban (ngày/tháng/năm)."))])

    def __init__(self, *args, joined_on: Opt[date] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.joined_on = joined_on

    def validate_left_on(self, field):
        if self.joined_on and field.data and field.data < self.joined_on:
            raise ValidationError(_l("Ngày rời ban không được trước ngày vào ban (%(d)s).",
                                     d=format_date(self.joined_on)))

