"""The members' login slips as an A4 PDF: several slips a page with cut lines, always in Vietnamese (the members'
language, whatever the official's screen shows). Rendered by the same WeasyPrint call as the weekly reports."""

from __future__ import annotations

import re

from flask import render_template
from flask_babel import force_locale

from ..reports.pdf import render
from ..text import fold, local_today
from .services import SlipSheet


def slips_html(sheet: SlipSheet, *, app_url: str, days: int) -> str:
    with force_locale("vi"):
        return render_template("setup/slips_pdf.html", sheet=sheet, app_url=app_url, days=days,
                               printed_on=local_today())


def slips_pdf(sheet: SlipSheet, *, app_url: str, days: int) -> bytes:
    return render(slips_html(sheet, app_url=app_url, days=days))


def slips_filename(sheet: SlipSheet) -> str:
    slug = re.sub(r"[^0-9a-z]+", "-", fold(sheet.village.name)).strip("-")
    return f"phieu-dang-nhap-{slug or 'thon'}.pdf"
