from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

PROPOSALS_MAX = 3000
NOTE_MAX = 255


class PrintForm(FlaskForm):
    """Printing freezes the report: what the head writes under "difficulties and proposals", and for a new version,
    why it was issued."""

    proposals = TextAreaField(_l("Khó khăn, kiến nghị"), validators=[Length(max=PROPOSALS_MAX, message=_l(
        "Phần khó khăn, kiến nghị dài tối đa %(max)d ký tự; hãy rút gọn lại."))], render_kw={"rows": 5})
    note = StringField(_l("Lý do phát hành bản mới"), validators=[Length(max=NOTE_MAX, message=_l(
        "Lý do dài tối đa %(max)d ký tự; hãy viết ngắn gọn."))])
