"""The help pages: the guide's index, one page per role, its screenshots, and the menu's "my page" link.

Open to everyone, signed in or not: a member who cannot sign in needs the guide most, and the guide holds nothing
but its own text and pictures of the demo commune.
"""

from __future__ import annotations

from flask import abort, redirect, send_from_directory, url_for
from flask_login import current_user

from ..db import get_session
from ..htmx import render
from . import bp, guide


def _page_url(slug: str, anchor: str) -> str:
    return (url_for("help.page", page=slug) if slug else url_for("help.index")) + anchor


def _image_url(name: str) -> str:
    return url_for("help.image", filename=name)


@bp.route("/huong-dan")
def index():
    rendered = guide.render_file(guide.GUIDE_DIR / guide.INDEX_FILE, _page_url, _image_url)
    mine = guide.page_for(get_session(), current_user) if current_user.is_authenticated else None
    return render("help/page.html", rendered=rendered, pages=guide.PAGES.values(), mine=mine, current=None)


@bp.route("/huong-dan/cua-toi")
def mine():
    """The menu's help link: straight to the page written for the signed-in user's role."""
    return redirect(url_for("help.page", page=guide.page_for(get_session(), current_user).slug))


@bp.route("/huong-dan/<page>")
def page(page: str):
    chosen = guide.PAGES.get(page)
    if chosen is None:
        abort(404)
    rendered = guide.render_file(chosen.path, _page_url, _image_url)
    mine = guide.page_for(get_session(), current_user) if current_user.is_authenticated else None
    return render("help/page.html", rendered=rendered, pages=guide.PAGES.values(), mine=mine, current=chosen)


@bp.route("/huong-dan/anh/<filename>")
def image(filename: str):
    """A screenshot of the guide: only plain ``name.png`` files of docs/huong-dan/anh, nothing else on disk."""
    if not guide.IMAGE_NAME.match(filename):
        abort(404)
    return send_from_directory(guide.IMAGE_DIR, filename, mimetype="image/png", max_age=3600)
