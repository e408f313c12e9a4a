from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..labels import label
from ..models import Channel, RefusalReason, Scheme, VisitOutcome
from .services import VisitInput


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VisitForm(FlaskForm):
    uuid = HiddenField(validators=[Regexp(r"^[0-9a-fA-F-]{36}$", message=_l("Mã lần vận động không hợp lệ; hãy mở lại hộ."))])
    outcome = SelectField(_l("Kết quả"), validators=[DataRequired(_l("Hãy chọn kết quả lần vận động."))])
    reason = SelectField(_l("Lý do từ chối"), validators=[Optional()])
    scheme = SelectField(_l("Tham gia loại nào"), validators=[Optional()])
    person_ids = CheckboxesField(_l("Những ai"), coerce=int, validators=[Optional()])
    next_date = DateField(_l("Hẹn thăm lại ngày"), validators=[Optional()], format="%Y-%m-%d",
                          render_kw={"type": "date"})
    channel = SelectField(_l("Hình thức"), default=Channel.HOME.value)
    met_person = StringField(_l("Gặp ai"), validators=[Length(max=120, message=_l("Tối đa 120 ký tự."))])
    notes = TextAreaField(_l("Ghi chú"), validators=[Length(max=2000, message=_l("Ghi chú dài tối đa 2000 ký tự."))])

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(o.value, label(o)) for o in VisitOutcome]
        self.reason.choices = [("", _l("— Chọn lý do —"))] + [(r.value, label(r)) for r in RefusalReason]
        self.scheme.choices = [("", _l("— Chưa rõ —"))] + [(s.value, label(s)) for s in Scheme]
        self.channel.choices = [(c.value, label(c)) for c in Channel]
        self.person_ids.choices = [(p.id, p.full_name) for p in people]
        if not self.uuid.data:
            self.uuid.data = str(uuid_module.uuid4())

    def to_input(self, visited_at: datetime) -> VisitInput:
        return VisitInput(
            uuid=self.uuid.data.lower(), outcome=VisitOutcome(self.outcome.data), visited_at=visited_at,
            reason=RefusalReason(self.reason.data) if self.reason.data else None,
            scheme=Scheme(self.scheme.data) if self.scheme.data else None, channel=Channel(self.channel.data),
            met_person=(self.met_person.data or "").strip() or None, notes=(self.notes.data or "").strip() or None,
            next_date=self.next_date.data, person_ids=tuple(self.person_ids.data or ()),
        )
