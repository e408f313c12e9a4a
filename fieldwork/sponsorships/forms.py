from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..committees.forms import FIRST_DAY, LAST_DAY, plausible_date
from ..households.rules import phone_error
from ..labels import label
from ..models import DonorKind, Scheme, SponsorshipStatus
from .services import RENEWAL_DUE, Terms

MONTH_FORMAT = "%Y-%m"
MONTH_CHOICES = [(1, _l("1 tháng (chỉ BHXH)")), (3, _l("3 tháng")), (6, _l("6 tháng")), (12, _l("12 tháng")),
                 (24, _l("2 năm, đóng trước (chỉ BHXH)")), (36, _l("3 năm, đóng trước (chỉ BHXH)")),
                 (48, _l("4 năm, đóng trước (chỉ BHXH)")), (60, _l("5 năm, đóng trước (chỉ BHXH)"))]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def _phone(_form, field):
    message = phone_error(field.data)
    if message:
        raise ValidationError(message)


class DonorForm(FlaskForm):
    commune_id = SelectField(_l("Xã"), coerce=int)  # admins only: removed for officials
    name = StringField(_l("Tên nhà tài trợ"), validators=[
        DataRequired(_l("Hãy nhập tên nhà tài trợ (cá nhân hoặc tổ chức).")),
        Length(max=200, message=_l("Tên dài tối đa 200 ký tự."))])
    kind = SelectField(_l("Loại nhà tài trợ"), default=DonorKind.PERSON.value)
    contact_name = StringField(_l("Người liên hệ"), validators=[Length(max=120, message=_l("Tối đa 120 ký tự."))])
    phone = StringField(_l("Điện thoại"), validators=[_phone], render_kw={"inputmode": "tel"})
    address = StringField(_l("Địa chỉ"), validators=[Length(max=255, message=_l("Địa chỉ dài tối đa 255 ký tự."))])
    email = StringField(_l("Thư điện tử"), validators=[
        Optional(), Length(max=200, message=_l("Tối đa 200 ký tự.")),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Địa chỉ thư điện tử chưa đúng, ví dụ ten@congty.vn."))],
        render_kw={"inputmode": "email"})
    consent_public = BooleanField(_l("Nhà tài trợ đồng ý được nêu tên công khai (báo cáo, lễ trao, loa truyền thanh)"))
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=_l("Ghi chú dài tối đa 2000 ký tự."))])

    def __init__(self, *args, communes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, label(k)) for k in DonorKind]
        if communes is None:
            del self.commune_id
        else:
            self.commune_id.choices = communes

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("name", "kind", "contact_name", "phone", "address", "email", "consent_public", "notes")}


class SponsorshipForm(FlaskForm):
    donor_id = SelectField(_l("Nhà tài trợ"), coerce=_optional_int, validators=[
        InputRequired(_l("Hãy chọn nhà tài trợ; nếu chưa có, cán bộ xã thêm ở mục Nhà tài trợ."))])
    scheme = SelectField(_l("Tặng"), default=Scheme.BHXH_TN.value)
    months = SelectField(_l("Thời gian"), coerce=int, default=12, choices=MONTH_CHOICES)
    from_month = DateField(_l("Từ tháng"), format=MONTH_FORMAT, render_kw={"type": "month"},
                           validators=[DataRequired(_l("Hãy chọn tháng bắt đầu (tháng/năm).")), plausible_date])
    income = IntegerField(_l("Mức thu nhập tháng lựa chọn (đồng, chỉ BHXH)"), validators=[Optional()],
                          render_kw={"inputmode": "numeric"})
    amount = IntegerField(_l("Số tiền nhà tài trợ đóng (đồng)"), validators=[
        Optional(),
        NumberRange(min=1, message=_l("Số tiền phải lớn hơn 0; để trống để tài trợ toàn bộ phần còn lại."))],
        render_kw={"inputmode": "numeric"})
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=_l("Ghi chú dài tối đa 2000 ký tự."))])

    def __init__(self, *args, donors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.donor_id.choices = [("", _l("— Chọn nhà tài trợ —"))] + list(donors)
        self.scheme.choices = [(Scheme.BHXH_TN.value, _l("Sổ BHXH tự nguyện")),
                               (Scheme.BHYT_HGD.value, _l("Thẻ BHYT hộ gia đình"))]

    def terms(self) -> Terms | None:
        """What the amounts are computed for, once the scheme, months and first month are known."""
        if self.scheme.data not in {s.value for s in Scheme} or self.months.data not in dict(MONTH_CHOICES) \
                or not self.from_month.data or not FIRST_DAY <= self.from_month.data <= LAST_DAY:
            return None  # the preview (a GET, never validated) reads these too
        income = self.income.data if self.scheme.data == Scheme.BHXH_TN.value else None
        return Terms(Scheme(self.scheme.data), self.months.data, self.from_month.data, income)


class PaidForm(FlaskForm):
    paid_on = DateField(_l("Ngày nộp tiền"), render_kw={"type": "date"},
                        validators=[DataRequired(_l("Hãy chọn ngày nhà tài trợ nộp tiền.")), plausible_date])
    income = IntegerField(_l("Mức thu nhập tháng lựa chọn (đồng, chỉ BHXH)"), validators=[Optional()],
                          render_kw={"inputmode": "numeric"})
    receipt_no = StringField(_l("Số biên lai"), validators=[Length(max=40, message=_l("Tối đa 40 ký tự."))])


class HandOverForm(FlaskForm):
    handed_over_on = DateField(_l("Ngày trao"), render_kw={"type": "date"},
                               validators=[DataRequired(_l("Hãy chọn ngày trao sổ, thẻ.")), plausible_date])
    event_id = SelectField(_l("Tại lễ trao"), coerce=_optional_int, validators=[Optional()])
    handover_event = StringField(_l("Hoặc ghi nơi, dịp trao"),
                                 validators=[Length(max=255, message=_l("Tối đa 255 ký tự."))])

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.event_id.choices = [("", _l("— Không chọn —"))] + [(e.id, e.title) for e in events]


class EndForm(FlaskForm):
    ended_on = DateField(_l("Ngày kết thúc"), render_kw={"type": "date"},
                         validators=[DataRequired(_l("Hãy chọn ngày kết thúc.")), plausible_date])


class CancelForm(FlaskForm):
    reason = StringField(_l("Lý do huỷ"), validators=[
        DataRequired(_l("Hãy ghi lý do huỷ (ví dụ: nhà tài trợ rút lại, người dân đã tự đóng).")),
        Length(max=255, message=_l("Tối đa 255 ký tự."))])


class ListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Trạng thái"), default="", name="trang-thai")
    scheme = SelectField(_l("Loại"), default="", name="loai")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = ([("", _l("Tất cả (trừ đã huỷ)"))] + [(s.value, label(s)) for s in SponsorshipStatus]
                               + [(RENEWAL_DUE, _l("Sắp hết hạn, cần tặng tiếp"))])
        self.scheme.choices = [("", _l("Sổ và thẻ")), (Scheme.BHXH_TN.value, _l("Sổ BHXH tự nguyện")),
                             (Scheme.BHYT_HGD.value, _l("Thẻ BHYT hộ gia đình"))]
