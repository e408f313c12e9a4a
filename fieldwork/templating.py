"""Jinja filters and globals: money, dates, masking, enum labels."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from . import text
from .labels import label


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        vnd=text.format_vnd,
        number=text.format_number,
        date=text.format_date,
        datetime=text.format_datetime,
        mask=text.mask,
        label=label,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {
            "csrf_token": generate_csrf,
            "current_locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
        }
