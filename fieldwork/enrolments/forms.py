from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..committees.forms import plausible_date
from ..labels import label
from ..models import DropoutReason, Scheme
from ..visits.forms import CheckboxesField

MODE_CHOICES = [("1", _l("Hằng tháng")), ("3", _l("3 tháng một lần")), ("6", _l("6 tháng một lần")),
                ("12", _l("12 tháng một lần")), ("VS", _l("Một lần cho nhiều năm về sau")),
                ("TH", _l("Một lần cho thời gian còn thiếu"))]
GROUP_CHOICES = [("other", _l("Đối tượng khác")), ("ethnic_minority", _l("Người dân tộc thiểu số")),
                 ("near_poor", _l("Hộ cận nghèo")), ("poor", _l("Hộ nghèo")),
                 ("island", _l("Sống ở xã đảo, đặc khu"))]
BHYT_SUPPORT_CHOICES = [("none", _l("Không có hỗ trợ")), ("near_poor", _l("Hộ cận nghèo (70 %%)")),
                        ("near_poor_poor_commune", _l("Hộ cận nghèo ở xã nghèo (100 %%)")),
                        ("student", _l("Học sinh, sinh viên (50 %%)")),
                        ("farming_average", _l("Hộ nông, lâm, ngư nghiệp mức sống trung bình (30 %%)"))]
MONTH_CHOICES = [(3, _l("3 tháng")), (6, _l("6 tháng")), (12, _l("12 tháng"))]
INCOME = _l("Mức thu nhập tháng lựa chọn (đồng)")
EVENT = _l("Từ hoạt động")
MONTH_FORMAT = "%Y-%m"


def _event_id(value):
    """The "from event" select: None for "none", -1 (never an event) for garbage; the service checks the rest."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class CalculatorForm(FlaskForm):
    class Meta:
        csrf = False

    scheme = SelectField(_l("Loại bảo hiểm"), choices=[("bhxh_tn", _l("BHXH tự nguyện")),
                                                      ("bhyt_hgd", _l("BHYT hộ gia đình"))], default="bhxh_tn")
    group = SelectField(_l("Đối tượng"), choices=GROUP_CHOICES, default="other")
    income = IntegerField(INCOME, default=1_500_000, validators=[Optional()], render_kw={"inputmode": "numeric", "step": 50000})
    mode = SelectField(_l("Phương thức đóng"), choices=MODE_CHOICES, default="12")
    years = IntegerField(_l("Số năm đóng trước"), default=1, validators=[Optional()])
    missing_months = IntegerField(_l("Số tháng còn thiếu"), default=12, validators=[Optional()])
    members = IntegerField(_l("Số người trong hộ mua thẻ"), default=1,
                           validators=[Optional(), NumberRange(min=1, max=20, message=_l("Từ 1 đến 20 người."))])
    months = SelectField(_l("Số tháng"), choices=MONTH_CHOICES, coerce=int, default=12)
    support = SelectField(_l("Hỗ trợ của Nhà nước"), choices=BHYT_SUPPORT_CHOICES, default="none")


class BhxhEnrolmentForm(FlaskForm):
    income = IntegerField(INCOME, validators=[InputRequired(_l("Hãy nhập mức thu nhập lựa chọn, ví dụ 1500000."))],
                          render_kw={"inputmode": "numeric"})
    mode = SelectField(_l("Phương thức đóng"), choices=MODE_CHOICES, default="12")
    years = IntegerField(_l("Số năm đóng trước (khi đóng nhiều năm)"), default=1, validators=[Optional()])
    missing_months = IntegerField(_l("Số tháng còn thiếu (khi đóng bù)"), default=0, validators=[Optional()])
    from_month = DateField(_l("Đóng từ tháng"), format=MONTH_FORMAT, render_kw={"type": "month"},
                           validators=[DataRequired(_l("Hãy chọn tháng bắt đầu đóng (tháng/năm).")), plausible_date])
    other_support = IntegerField(_l("Hỗ trợ khác, ví dụ nhà tài trợ (đồng)"), default=0,
                                 validators=[Optional(), NumberRange(min=0, message=_l("Không được âm."))])
    receipt_no = StringField(_l("Số biên lai"), validators=[Length(max=40)])
    receipt_date = DateField(_l("Ngày biên lai"), validators=[Optional(), plausible_date], render_kw={"type": "date"})
    collector_code = StringField(_l("Mã số nhân viên thu"), validators=[Length(max=20)])
    event_id = SelectField(EVENT, coerce=_event_id, validate_choice=False)


class BhytEnrolmentForm(FlaskForm):
    person_ids = CheckboxesField(_l("Những người mua thẻ (theo thứ tự trong hộ)"), coerce=int)
    months = SelectField(_l("Số tháng"), choices=MONTH_CHOICES, coerce=int, default=12)
    from_month = DateField(_l("Thẻ có giá trị từ tháng"), format=MONTH_FORMAT, render_kw={"type": "month"},
                           validators=[DataRequired(_l("Hãy chọn tháng thẻ bắt đầu có giá trị (tháng/năm).")),
                                       plausible_date])
    receipt_no = StringField(_l("Số biên lai"), validators=[Length(max=40)])
    receipt_date = DateField(_l("Ngày biên lai"), validators=[Optional(), plausible_date], render_kw={"type": "date"})
    collector_code = StringField(_l("Mã số nhân viên thu"), validators=[Length(max=20)])
    event_id = SelectField(EVENT, coerce=_event_id, validate_choice=False)


class DropoutForm(FlaskForm):
    scheme = SelectField(_l("Loại bảo hiểm"))
    reason = SelectField(_l("Lý do không đóng tiếp"))
    note = StringField(_l("Ghi chú"), validators=[Length(max=255)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme.choices = [(s.value, label(s)) for s in Scheme]
        self.reason.choices = [(r.value, label(r)) for r in DropoutReason]
