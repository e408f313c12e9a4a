"""The weekly report as an A4 PDF, in Vietnamese whatever language the screen uses, made with WeasyPrint from the
same report object and partial templates as the preview."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale

from .. import PROJECT_ROOT
from .services import Report


def report_html(report: Report, *, draft: bool = False) -> str:
    with force_locale("vi"):
        return render_template("reports/report_pdf.html", report=report, draft=draft)


def render(html: str) -> bytes:
    from weasyprint import HTML  # heavy: loaded only when a report is printed

    return HTML(string=html, base_url=str(PROJECT_ROOT)).write_pdf()


def report_pdf(report: Report, *, draft: bool = False) -> bytes:
    return render(report_html(report, draft=draft))
