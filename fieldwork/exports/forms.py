"""The agents' list form: which list, which period, which village (and for an admin, which commune).

The choices come from :class:`~.services.ListAccess`; the period and the village are checked again by the service,
which says how to correct them (the view puts its message on the field)."""

from __future__ import annotations

from datetime import date
from typing import Optional

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from ..committees.forms import ChoiceField, LocalDateField
from ..text import local_today
from .services import D03, D05, ListAccess

ALL_VILLAGES = ""


def month_so_far() -> date:
    return local_today().replace(day=1)


class AgentListForm(FlaskForm):
    xa = SelectField(_l("Xã, phường, đặc khu"), validate_choice=False)  # an admin's; drawn in its own GET form
    mau = ChoiceField(_l("Mẫu danh sách"), default=D05)
    tu = LocalDateField(_l("Từ ngày"), default=month_so_far, validators=[
        InputRequired(_l("Hãy nhập ngày đầu của khoảng thời gian (ngày/tháng/năm), ví dụ 01/11/2026."))])
    den = LocalDateField(_l("Đến ngày"), default=local_today, validators=[
        InputRequired(_l("Hãy nhập ngày cuối của khoảng thời gian (ngày/tháng/năm), ví dụ 30/11/2026."))])
    thon = SelectField(_l("Thôn"), validate_choice=False)

    def __init__(self, access: ListAccess, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mau.choices = [(D05, gettext("D05-TS · BHXH tự nguyện")), (D03, gettext("D03-TS · BHYT hộ gia đình"))]
        villages = [(str(v.id), v.name) for v in access.villages]
        self.thon.choices = [(ALL_VILLAGES, gettext("Tất cả các thôn")), *villages] if access.whole_commune \
            else villages
        if access.communes:
            self.xa.choices = [(str(i), name) for i, name in access.communes]
            self.xa.data = str(access.commune.id)
        else:
            del self.xa

    def put_error(self, message: str, field: Optional[str]) -> None:
        """Show a service's refusal on its field (or above the form)."""
        target = self[field] if field and field in self else None
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)
