"""Form fields shared by the app's forms, kept apart from any blueprint so that every form module can import them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import ValidationError


class ChoiceField(SelectField):
    """A select whose refusal of an unknown value is in Vietnamese (WTForms has no Vietnamese catalogue)."""

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Hãy chọn một mục trong danh sách."))
