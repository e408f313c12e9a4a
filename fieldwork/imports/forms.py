from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired

from .spreadsheet import EXTENSION_MESSAGE, EXTENSIONS


class UploadForm(FlaskForm):
    file = FileField(_l("Tệp danh sách (.xlsx hoặc .csv)"), validators=[
        FileRequired(_l("Hãy chọn tệp danh sách (.xlsx hoặc .csv) để tải lên.")),
        FileAllowed(EXTENSIONS, EXTENSION_MESSAGE),
    ], render_kw={"accept": ".xlsx,.csv"})
