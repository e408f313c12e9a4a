"""Every Vietnamese string in the code and templates has an English translation."""

from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from fieldwork import PROJECT_ROOT

METHODS = [("fieldwork/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_english_catalogue_translates_every_message():
    with open(PROJECT_ROOT / "fieldwork/translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        catalogue = read_po(fh, locale="en")
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    source = _source_messages()
    assert len(source) > 50
    missing = sorted(source - translated)
    assert missing == [], f"untranslated: {missing[:10]}"
