"""Constant texts of templates are translated once per language, when the template is compiled
(fieldwork/templating.py, PerLanguageEnvironment): the pages are exactly what translating on every render gives."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from fieldwork import templating
from fieldwork.models import Role

MASKS = [re.compile(r'(csrf_token"[^>]*value=")[^"]+'), re.compile(r'("X-CSRFToken": ")[^"]+'),
         re.compile(r'(data-uuid=")[^"]+'), re.compile(r'(name="uuid"[^>]*value=")[^"]+'),
         re.compile(r'(id="uuid"[^>]*value=")[^"]+')]


def _masked(text: str) -> str:
    for mask in MASKS:
        text = mask.sub(r"\1…", text)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "…", text)


def test_a_constant_text_is_in_the_compiled_template_in_the_requests_language(app):
    source = "<p>{{ _('Trang chủ') }}</p><p>{{ _('%(n)s tuổi', n=3) }}</p><p>{{ _('%% chỉ tiêu') }}</p>"
    for language, home in (("vi", "Trang chủ"), ("en", "Home")):
        with app.test_request_context("/"), force_locale(language):
            overlay = app.jinja_env._for_language()
            code = overlay.compile(source, raw=True)
            assert repr(f"<p>{home}</p><p>") in code  # the text itself, no call left
            # A text with arguments, or with a "%", is still translated when shown.
            assert "'%(n)s tuổi'" in code and "'%% chỉ tiêu'" in code
            assert overlay.from_string(source).render() == app.jinja_env.from_string(source).render()


def test_each_language_has_its_own_compiled_templates(app):
    with app.test_request_context("/"), force_locale("vi"):
        vi = app.jinja_env.get_template("base.html")
        vi_env = app.jinja_env._for_language()
    with app.test_request_context("/"), force_locale("en"):
        en_env = app.jinja_env._for_language()
    assert vi_env is not en_env and vi_env.translated_once_by("Trang chủ") == "Trang chủ"
    assert en_env.translated_once_by("Trang chủ") == "Home"
    assert vi.environment is vi_env
    with app.app_context():  # outside a request (commands): the templates as written
        assert app.jinja_env._for_language() is None


@pytest.mark.parametrize("language", ["vi", "en"])
def test_pages_are_the_same_as_when_every_text_is_translated_when_shown(app, client, login, db, make_user,
                                                                        make_village, make_committee,
                                                                        make_household, monkeypatch, language):
    village = make_village()
    _committee, members = make_committee(village)
    household = make_household(village, assigned_to=members[1])
    official = make_user(Role.OFFICIAL)
    member = make_user(Role.MEMBER, village=village, member=members[1])
    pages = {official: ["/", f"/ho/{household.id}", f"/thon/{village.id}/ho", "/phan-cong", "/doi-mat-khau"],
             member: ["/", f"/ho/{household.id}", f"/ho/{household.id}/van-dong?ket-qua=agreed", "/tim-kiem"]}
    shown = {}
    for user in pages:
        user.locale = language
        db.add(user)
    db.commit()
    for translated_once in (True, False):
        if not translated_once:
            monkeypatch.setattr(templating.PerLanguageEnvironment, "_for_language", lambda self: None)
        for user, paths in pages.items():
            login(user)
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, path
                shown.setdefault(path + str(user.role), []).append(_masked(response.get_data(as_text=True)))
    for path, (once, every_time) in shown.items():
        assert once == every_time, path
    expected = "Trang chủ" if language == "vi" else "Home"
    assert all(expected in pair[0] for pair in shown.values())
