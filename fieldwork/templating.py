"""Jinja filters and globals: money, dates, masking, enum labels."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import get_locale, get_translations
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup

from . import text
from .labels import label, label_table


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        vnd=text.format_vnd,
        number=text.format_number,
        date=text.format_date,
        datetime=text.format_datetime,
        mask=text.mask,
        label=_label,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {
            "csrf_token": generate_csrf,
            "current_locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
            "_labels": label_table(),
            **bound_gettext(get_translations()),
        }


@pass_context
def _label(context, value):
    """``label`` with the table the render started with (templates show many labels; see ``labels.label_table``)."""
    table = context.get("_labels")
    if table is None or value is None:
        return label(value)
    return table.get((type(value), value.value), value.value)


def bound_gettext(translations) -> dict:
    """The template's ``_``/``gettext``/``ngettext`` bound to this request's catalogue once per render.

    Flask-Babel's own callables look the catalogue up through the request context on every call (several context-local
    lookups each); a page calls them 40–200 times, which was a tenth of the worklist's CPU (bench/load.py --profile).
    Same behaviour as Jinja's new-style gettext: the result is marked safe under autoescape and always %-formatted
    with the keyword arguments (which autoescape escapes)."""
    lookup, plural = translations.ugettext, translations.ungettext

    @pass_context
    def gettext(__context, __string, **variables):
        rv = lookup(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = plural(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}
