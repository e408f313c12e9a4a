"""Reading the guide's Markdown files and turning them into HTML for the help pages.

The guide lives in ``docs/huong-dan/`` so that it reads well on its own (in the repository, printed, or opened
offline) and the app shows the very same text: links between pages (``thanh-vien.md``) and pictures
(``anh/….png``) are written relative to that folder and rewritten here to the help routes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup
from sqlmodel import Session, select

from .. import PROJECT_ROOT
from ..models import CommitteeMember, Role, User

GUIDE_DIR = PROJECT_ROOT / "docs" / "huong-dan"
IMAGE_DIR = GUIDE_DIR / "anh"
INDEX_FILE = "README.md"

# Only names like ``thanh-vien-1-dang-nhap.png``: no folders, no dots but the extension's.
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")
_PAGE_LINK = re.compile(r"^(?P<page>[A-Za-z0-9-]+)\.md(?P<anchor>#[\w-]*)?$")
_IMAGE_LINK = re.compile(r"^anh/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class GuidePage:
    slug: str  # the URL: /huong-dan/<slug>, and the file docs/huong-dan/<slug>.md
    role: str  # who the page is written for, as the menu names them

    @property
    def path(self) -> Path:
        return GUIDE_DIR / f"{self.slug}.md"


PAGES: dict[str, GuidePage] = {
    "thanh-vien": GuidePage("thanh-vien", "Thành viên Ban vận động"),
    "truong-ban": GuidePage("truong-ban", "Trưởng ban vận động"),
    "can-bo-xa": GuidePage("can-bo-xa", "Cán bộ xã"),
    "quan-tri": GuidePage("quan-tri", "Quản trị hệ thống"),
}


def page_for(session: Session, user: User | None) -> GuidePage:
    """The page written for this user's role; a committee head is a member whose committee row says so."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PAGES["thanh-vien"]  # who has not signed in yet is most often a member on a phone
    if user.role == Role.ADMIN:
        return PAGES["quan-tri"]
    if user.role == Role.OFFICIAL:
        return PAGES["can-bo-xa"]
    heads = session.exec(select(CommitteeMember.id).where(
        CommitteeMember.user_id == user.id, CommitteeMember.left_on.is_(None),
        CommitteeMember.is_head.is_(True)).limit(1)).first()
    return PAGES["truong-ban" if heads is not None else "thanh-vien"]


@dataclass(frozen=True)
class RenderedPage:
    title: str  # the file's first heading
    html: Markup


def render_file(path: Path, page_url: Callable[[str, str], str], image_url: Callable[[str], str]) -> RenderedPage:
    """The Markdown file as HTML, its links and pictures pointed at the help routes."""
    text = path.read_text("utf-8")
    first_heading = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), "")
    md = markdown.Markdown(extensions=["tables", "sane_lists", _GuideLinks(page_url, image_url)],
                           output_format="html")
    return RenderedPage(title=first_heading, html=Markup(md.convert(text)))


class _GuideLinks(Extension):
    def __init__(self, page_url: Callable[[str, str], str], image_url: Callable[[str], str]) -> None:
        super().__init__()
        self.page_url, self.image_url = page_url, image_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802  (the library's name)
        md.treeprocessors.register(_Rewrite(md, self.page_url, self.image_url), "guide_links", 5)


class _Rewrite(Treeprocessor):
    """``thanh-vien.md`` → the help page, ``anh/x.png`` → the picture route; pictures load lazily, full width."""

    def __init__(self, md, page_url, image_url) -> None:
        super().__init__(md)
        self.page_url, self.image_url = page_url, image_url

    def run(self, root: etree.Element) -> None:
        for link in root.iter("a"):
            match = _PAGE_LINK.match(link.get("href", ""))
            if match:
                slug = "" if match["page"] == "README" else match["page"]
                link.set("href", self.page_url(slug, match["anchor"] or ""))
        for img in root.iter("img"):
            match = _IMAGE_LINK.match(img.get("src", ""))
            if match:
                img.set("src", self.image_url(match["name"]))
                img.set("loading", "lazy")
