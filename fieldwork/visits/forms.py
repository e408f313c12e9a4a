from __future__ import annotations

import re
import uuid as uuid_module
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..fields import ChoiceField
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
    outcome = ChoiceField(_l("Kết quả"), validators=[DataRequired(_l("Hãy chọn kết quả lần vận động."))])
    # Not stripped: a blank sent for a choice is not "none chosen" but not a choice (it was read as a reason, a 500).
    reason = ChoiceField(_l("Lý do từ chối"), validators=[Optional(strip_whitespace=False)])
    scheme = ChoiceField(_l("Tham gia loại nào"), validators=[Optional(strip_whitespace=False)])
    person_ids = CheckboxesField(_l("Những ai"), coerce=int, validators=[Optional()])
    next_date = DateField(_l("Hẹn thăm lại ngày"), validators=[Optional()], format="%Y-%m-%d",
                          render_kw={"type": "date"})
    channel = ChoiceField(_l("Hình thức"), default=Channel.HOME.value)
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


# --- the common submission, read without the form ----------------------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F-]{36}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OUTCOMES = {o.value: o for o in VisitOutcome}
_REASONS = {r.value: r for r in RefusalReason}
_SCHEMES = {s.value: s for s in Scheme}
_CHANNELS = {c.value: c for c in Channel}


def plain_input(formdata, visited_at: datetime) -> VisitInput | None:
    """The visit a plain submission of the form describes, read straight from ``formdata``, or None when anything in it
    needs :class:`VisitForm`: a field missing or out of its choices, a text too long, a date not written YYYY-MM-DD,
    people ticked (their choices are the household's people, a query).

    A member logs a visit in seconds, many times a day; building the form (ten fields bound, their choices, its
    validators) cost a fifth of the visit POST's time. A field sent twice goes through the form too (the form reads
    the first value of most fields, but both of a date). This accepts only what the form accepts and gives the same
    ``VisitInput`` as ``VisitForm.to_input`` (tests/test_visit_plain_input.py compares them on thousands of
    submissions); anything else goes through the form as before, which tells the user what to fix. The CSRF token is
    checked before any view by ``CSRFProtect``, as it is for the form."""
    if any(len(values) > 1 for values in formdata.listvalues()):
        return None
    get = formdata.get
    uuid, outcome, channel = get("uuid") or "", _OUTCOMES.get(get("outcome")), _CHANNELS.get(get("channel"))
    if outcome is None or channel is None or "person_ids" in formdata or not _UUID.fullmatch(uuid):
        return None
    reason, scheme, day = get("reason") or "", get("scheme") or "", get("next_date") or ""
    met_person, notes = get("met_person") or "", get("notes") or ""
    if ((reason and reason not in _REASONS) or (scheme and scheme not in _SCHEMES) or len(met_person) > 120
            or len(notes) > 2000 or (day and not _DAY.fullmatch(day))):
        return None
    try:
        next_date = datetime.strptime(day, "%Y-%m-%d").date() if day else None
    except ValueError:
        return None
    return VisitInput(
        uuid=uuid.lower(), outcome=outcome, visited_at=visited_at, reason=_REASONS.get(reason),
        scheme=_SCHEMES.get(scheme), channel=channel, met_person=met_person.strip() or None,
        notes=notes.strip() or None, next_date=next_date, person_ids=(),
    )
