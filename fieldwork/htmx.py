"""One htmx path: the partial for a plain htmx request, the whole page for normal, boosted and history-restore ones."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template

from .extensions import htmx


def wants_partial() -> bool:
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str | None = None, /, status: int = 200, **context: Any) -> Response:
    """Render ``partial`` for a plain htmx request and ``page`` otherwise; always ``Vary: HX-Request``.

    The page template includes the partial, so both show the same markup. Forms that fail validation pass
    ``status=422``, which htmx is configured to swap.
    """
    template = partial if partial and wants_partial() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
