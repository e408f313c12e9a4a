from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..labels import label
from ..models import BhxhStatus, BhytStatus, Poverty, Relation, Sex
from . import rules


def _choices(enum_cls) -> list[tuple[str, str]]:
    return [(m.value, label(m)) for m in enum_cls]


def _check(rule):
    def validator(_form, field):
        message = rule(field.data)
        if message:
            raise ValidationError(message)

    return validator


class HouseholdForm(FlaskForm):
    code = StringField(_l("Mã hộ"), validators=[
        DataRequired(_l("Hãy nhập mã hộ (ví dụ T01-0001); mã hộ không được trùng trong thôn.")),
        Length(max=32, message=_l("Mã hộ dài tối đa 32 ký tự."))])
    head_name = StringField(_l("Họ tên chủ hộ"), validators=[_check(rules.name_error)])
    address = StringField(_l("Địa chỉ"), validators=[Length(max=255, message=_l("Địa chỉ dài tối đa 255 ký tự."))])
    hamlet_group = StringField(_l("Xóm/tổ"), validators=[Length(max=60, message=_l("Tên xóm/tổ dài tối đa 60 ký tự."))])
    phone = StringField(_l("Điện thoại"), validators=[_check(rules.phone_error)], render_kw={"inputmode": "tel"})
    poverty = SelectField(_l("Diện hộ"), default=Poverty.NONE.value)
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=_l("Ghi chú dài tối đa 2000 ký tự."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.poverty.choices = _choices(Poverty)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("code", "head_name", "address", "hamlet_group", "phone", "poverty", "notes")}


class PersonForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[_check(rules.name_error)])
    relation = SelectField(_l("Quan hệ với chủ hộ"), default=Relation.CHILD.value)
    sex = SelectField(_l("Giới tính"))
    birth_date = DateField(_l("Ngày sinh"), validators=[Optional()], format="%Y-%m-%d")
    birth_year = IntegerField(_l("Năm sinh (nếu không rõ ngày)"), validators=[
        Optional(), NumberRange(min=rules.MIN_BIRTH_YEAR, max=2100,
                                message=_l("Năm sinh phải là năm có 4 chữ số, từ 1900 đến nay."))])
    cccd = StringField(_l("Số CCCD"), validators=[_check(lambda v: rules.cccd_error(rules.normalise_digits(v)))],
                       render_kw={"inputmode": "numeric"})
    bhxh_code = StringField(_l("Mã số BHXH"), validators=[
        _check(lambda v: rules.bhxh_code_error(rules.normalise_digits(v)))], render_kw={"inputmode": "numeric"})
    ethnicity = StringField(_l("Dân tộc"), default="Kinh", validators=[Length(max=40)])
    occupation = StringField(_l("Nghề nghiệp"), validators=[Length(max=120)])
    bhyt_status = SelectField(_l("Tình trạng BHYT"), default=BhytStatus.NONE.value)
    bhyt_card_expiry = DateField(_l("Hạn thẻ BHYT"), validators=[Optional()], format="%Y-%m-%d")
    bhxh_status = SelectField(_l("Tình trạng BHXH"), default=BhxhStatus.NONE.value)
    bhxh_paid_until = DateField(_l("BHXH đã đóng đến"), validators=[Optional()], format="%Y-%m-%d")
    # Set when the official has seen the "possible duplicate" warning and saves anyway.
    confirm_not_duplicate = HiddenField(default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.relation.choices = _choices(Relation)
        self.sex.choices = _choices(Sex)
        self.bhyt_status.choices = _choices(BhytStatus)
        self.bhxh_status.choices = _choices(BhxhStatus)
        for field in (self.birth_date, self.bhyt_card_expiry, self.bhxh_paid_until):
            field.render_kw = {"type": "date"}

    def validate_birth_date(self, field):
        message = rules.birth_error(field.data, self.birth_year.data, date.today())
        if message:
            raise ValidationError(message)

    def values(self) -> dict:
        names = ("full_name", "relation", "sex", "birth_date", "birth_year", "cccd", "bhxh_code", "ethnicity",
                 "occupation", "bhyt_status", "bhyt_card_expiry", "bhxh_status", "bhxh_paid_until")
        return {name: getattr(self, name).data for name in names}


class MoveForm(FlaskForm):
    village_id = SelectField(_l("Chuyển đến thôn"), coerce=int)


class MergeHouseholdForm(FlaskForm):
    other_code = StringField(_l("Mã hộ cần gộp vào hộ này"), validators=[
        DataRequired(_l("Hãy nhập mã của hộ trùng (hộ đó sẽ được lưu trữ, mọi người và lần vận động chuyển sang hộ này)."))])


class ConsentForm(FlaskForm):
    note = StringField(_l("Ghi chú về sự đồng ý (không bắt buộc)"), validators=[Length(max=255)])
    agreed = BooleanField(_l("Người này đã đồng ý cho ghi nhận và sử dụng thông tin để vận động tham gia BHXH, BHYT"),
                          validators=[DataRequired(_l("Hãy đánh dấu xác nhận người dân đã đồng ý."))])


class EmptyForm(FlaskForm):
    """For one-click POSTs (archive, restore, dismiss, merge): only the CSRF token."""


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Tìm hộ hoặc người"), validators=[Length(max=100)])
