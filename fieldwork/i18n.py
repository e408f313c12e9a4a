"""Language and time zone: Vietnamese first, English on request; always Asia/Ho_Chi_Minh."""

from __future__ import annotations

import weakref
from typing import Callable, TypeVar

from flask import current_app, session
from flask_babel import get_translations
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def translator() -> Callable[..., str]:
    """``gettext`` bound to the current catalogue once: the same answers as Flask-Babel's ``gettext`` (looked up,
    then %-formatted with the keyword arguments), without its three context-local lookups per call. For code that
    translates in a loop (the worklist's reasons: a few hundred per page)."""
    lookup = get_translations().ugettext

    def gettext(string: str, **variables) -> str:
        text = lookup(string)
        return text % variables if variables else text

    return gettext


T = TypeVar("T")
_PER_CATALOGUE: "weakref.WeakKeyDictionary[object, dict[str, object]]" = weakref.WeakKeyDictionary()


def per_catalogue(name: str, make: Callable[[], T]) -> T:
    """``make()`` once per message catalogue and ``name``: text built from translated strings that is the same for
    every request in one language (labels, the phone's messages, the offline form's fields). Keyed by the catalogue
    object itself, not the language's code, so that two apps in one process (tests) never share a built text."""
    built = _PER_CATALOGUE.setdefault(get_translations(), {})
    if name not in built:
        built[name] = make()
    return built[name]
