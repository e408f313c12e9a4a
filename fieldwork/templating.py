"""Jinja filters and globals: money, dates, masking, enum labels."""

from __future__ import annotations

import weakref

from flask import Flask, current_app, has_request_context, request
from flask.templating import Environment as FlaskEnvironment
from flask_babel import get_locale, get_translations
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DATA, Token
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
    app.jinja_env.globals["url_for"] = remembered_url_for(app)
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


URLS_KEPT = 8192


def remembered_url_for(app: Flask):
    """Templates' ``url_for``, remembering the links it built. A page builds 20–60 (the menu, a link and seven
    outcome buttons per household), ~25 µs each through Werkzeug's URL map (a tenth of a household page's time
    under cProfile; without the profiler the gain was within this machine's noise, docs/performance.md). A link
    depends only on the endpoint, its values, the blueprint (for ".name") and where the app is mounted, all in the
    key. Not remembered: static files (their ``?v=`` follows the file on
    disk, see offline/web.py), links with ``_external``/``_anchor``/... and values that cannot be a key. Per
    process, at most ``URLS_KEPT`` links, forgotten all at once when full."""
    build = app.url_for
    built: dict = {}

    def url_for(endpoint: str, **values):
        if endpoint == "static" or not has_request_context() or any(name[:1] == "_" for name in values):
            return build(endpoint, **values)
        key = (request.script_root, request.blueprint if endpoint[:1] == "." else None, endpoint,
               *sorted(values.items()))
        try:
            url = built.get(key)
        except TypeError:  # a list or another unhashable value
            return build(endpoint, **values)
        if url is None:
            if len(built) >= URLS_KEPT:
                built.clear()
            url = built[key] = build(endpoint, **values)
        return url

    return url_for


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


# --- texts translated once per language, when a template is compiled --------------------------------------------


class TranslatedOnce(Extension):
    """Turns ``{{ _('a constant text') }}`` into the text itself, translated when the template is compiled.

    Only in the environments of :class:`PerLanguageEnvironment`, which compile every template once per message
    catalogue. A page has 30–60 such calls (the menu alone ~15); each costs a Jinja call, a catalogue lookup and a
    Markup per render. The output is the same: a translated text is marked safe and %-formatted with no arguments
    at run time, so a text with no ``%`` comes out as it is. Texts with a ``%``, calls with arguments and calls
    inside tags or expressions are left to run time."""

    def filter_stream(self, stream):
        lookup = getattr(self.environment, "translated_once_by", None)
        if lookup is None:
            yield from stream
            return
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            window = tokens[i:i + 6]
            if (len(window) == 6 and [t.type for t in window] == ["variable_begin", "name", "lparen", "string",
                                                                   "rparen", "variable_end"]
                    and window[1].value in ("_", "gettext")):
                translated = lookup(window[3].value)
                if "%" not in translated:
                    yield Token(window[0].lineno, TOKEN_DATA, translated)
                    i += 6
                    continue
            yield tokens[i]
            i += 1


class PerLanguageEnvironment(FlaskEnvironment):
    """The app's Jinja environment: during a request, templates come from an overlay of it kept per message catalogue
    (the request's language), whose templates have their constant texts translated once (:class:`TranslatedOnce`).
    Outside a request (commands, background work), the templates as written. Overlays share the loader, globals
    and filters; each has its own compiled templates."""

    translated_once_by = None  # the overlays' catalogue lookup

    def _for_language(self):
        if self.translated_once_by is not None or not has_request_context():
            return None
        translations = get_translations()
        overlays = self.__dict__.setdefault("_per_language", weakref.WeakKeyDictionary())
        overlay = overlays.get(translations)
        if overlay is None:
            overlay = self.overlay(extensions=[TranslatedOnce], cache_size=400)
            overlay.translated_once_by = translations.ugettext
            overlays[translations] = overlay
        return overlay

    def get_template(self, name, parent=None, globals=None):
        overlay = self._for_language()
        if overlay is not None:
            return overlay.get_template(name, parent, globals)
        return super().get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        overlay = self._for_language()
        if overlay is not None:
            return overlay.select_template(names, parent, globals)
        return super().select_template(names, parent, globals)
