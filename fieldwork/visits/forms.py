from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..i18n import per_catalogue
from ..labels import label
from ..models import Channel, RefusalReason, Scheme, VisitOutcome
from .services import VisitInput


def _choices() -> dict[str, list[tuple[str, str]]]:
    """The fixed choices of the visit form in the current language: built once per catalogue (``i18n.per_catalogue``),
    not for every form (19 labels looked up for each visit posted or form opened)."""
    return {
        "outcome": [(o.value, label(o)) for o in VisitOutcome],
        "reason": [("", str(_l("— Chọn lý do —")))] + [(r.value, label(r)) for r in RefusalReason],
        "scheme": [("", str(_l("— Chưa rõ —")))] + [(s.value, label(s)) for s in Scheme],
        "channel": [(c.value, label(c)) for c in Channel],
    }


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
        choices = per_catalogue("visit_form_choices", _choices)
        self.outcome.choices, self.reason.choices = list(choices["outcome"]), list(choices["reason"])
        self.scheme.choices, self.channel.choices = list(choices["scheme"]), list(choices["channel"])
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
