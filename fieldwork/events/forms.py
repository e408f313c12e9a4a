"""The outreach-event form. The view sets the village choices (the villages the user may log events for); the
service checks the chosen village again, so a forged id is refused with a message, not stored."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..committees.forms import LocalDateField
from ..labels import label
from ..models import OutreachEvent, OutreachKind
from ..text import local_today, nfc

COMMUNE_WIDE = "xa"  # the village select's value for "Toàn xã"
MAX_ATTENDANCE = 100_000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def village_value(village_id: int | None) -> str:
    return COMMUNE_WIDE if village_id is None else str(village_id)


def parse_village(value: str | None) -> int | None:
    """The select's value as a village id (None for the whole commune); anything else is -1, never a village."""
    if value == COMMUNE_WIDE:
        return None
    return int(value) if value and value.isdigit() else -1


class EventForm(FlaskForm):
    kind = SelectField(_l("Loại hoạt động"), default=OutreachKind.MEETING.value,
                       invalid_choice_message=_l("Hãy chọn loại hoạt động trong danh sách."))
    held_on = LocalDateField(_l("Ngày tổ chức"), default=local_today, validators=[
        InputRequired(_l("Hãy nhập ngày tổ chức (ngày/tháng/năm)."))])
    village = SelectField(_l("Thôn"), validate_choice=False)
    title = StringField(_l("Tên hoạt động"), filters=[_strip], validators=[
        DataRequired(_l("Hãy nhập tên hoạt động, ví dụ: Hội nghị khách hàng thôn Đông tháng 11.")),
        Length(max=200, message=_l("Tên hoạt động dài tối đa 200 ký tự; hãy viết ngắn lại."))])
    attendance = IntegerField(_l("Số người tham dự"), render_kw={"inputmode": "numeric", "min": 0}, validators=[
        Optional(), NumberRange(min=0, max=MAX_ATTENDANCE, message=_l(
            "Số người tham dự phải là số nguyên từ 0 đến 100.000; để trống nếu không đếm được."))],
        invalid_value_message=_l("Số người tham dự phải là số nguyên, ví dụ 45; để trống nếu không đếm được."))
    speakers = StringField(_l("Người phát biểu, báo cáo viên"), filters=[_strip], validators=[
        Length(max=255, message=_l("Phần người phát biểu dài tối đa 255 ký tự; hãy viết ngắn lại."))])
    notes = TextAreaField(_l("Ghi chú"), filters=[_strip], validators=[
        Length(max=2000, message=_l("Ghi chú dài tối đa 2000 ký tự."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, label(k)) for k in OutreachKind]

    @classmethod
    def for_event(cls, event: OutreachEvent) -> "EventForm":
        """The form filled with ``event``, for the edit page's first load."""
        return cls(formdata=None, data={
            "kind": event.kind.value, "held_on": event.held_on, "village": village_value(event.village_id),
            "title": event.title, "attendance": event.attendance, "speakers": event.speakers, "notes": event.notes})

    def validate_village(self, field):
        if not field.data:
            raise ValidationError(_l("Hãy chọn thôn tổ chức hoạt động, hoặc chọn “Toàn xã” cho hoạt động chung của xã."))

    def values(self) -> dict:
        return {
            "kind": OutreachKind(self.kind.data), "held_on": self.held_on.data,
            "village_id": parse_village(self.village.data), "title": nfc(self.title.data),
            "attendance": self.attendance.data, "speakers": nfc(self.speakers.data) or None,
            "notes": self.notes.data or None,
        }
