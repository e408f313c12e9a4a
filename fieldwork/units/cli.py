"""``flask units ...``: the same changes as the admin pages, for scripted reorganisations (e.g. 1 July 2025).

Communes are named by their official code; villages by commune code and village code. Each command is one
transaction; bad input prints the same message as the page and exits with status 1, writing nothing.
"""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from sqlmodel import Session, select

from ..db import session_scope
from ..models import Village
from ..text import local_today
from . import bp, services


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD, e.g. 2025-07-01") from None


def _village(session: Session, code: str) -> Village:
    """``CCCCC/VV``: the commune's code, a slash, the village's code in that commune."""
    commune_code, _sep, village_code = code.partition("/")
    commune = services.commune_by_code(session, commune_code)
    village = session.exec(select(Village).where(Village.commune_id == commune.id,
                                                 Village.code == village_code)).first()
    if village is None:
        raise services.UnitError(f"No village {village_code!r} in commune {commune_code} (write COMMUNE/VILLAGE).")
    return village


def _run(change) -> None:
    try:  # messages and dates speak as on the pages: Babel needs a request context
        with current_app.test_request_context(), session_scope() as session:
            row = change(session)
            click.echo(f"Recorded change {row.id}: {row.kind.value} {row.unit_type.value} {row.old_name!r} "
                       f"from {row.effective_on.isoformat()}.")
    except services.UnitError as error:
        raise click.ClickException(error.message) from None


@bp.cli.command("merge-commune")
@click.option("--from", "from_code", required=True, help="Code of the commune merged away.")
@click.option("--into", "into_code", required=True, help="Code of the surviving commune.")
@click.option("--on", "on", required=True, help="Effective date, YYYY-MM-DD.")
@click.option("--note", default="", help="The decision, e.g. Nghị quyết 1656/NQ-UBTVQH15.")
def merge_commune(from_code: str, into_code: str, on: str, note: str) -> None:
    """Merge a commune into another from a date: its villages, people and logins move."""
    day = _day(on)
    _run(lambda s: services.merge_commune(s, None, services.commune_by_code(s, from_code),
                                          services.commune_by_code(s, into_code), day, note, local_today()))


@bp.cli.command("merge-village")
@click.option("--from", "from_code", required=True, help="COMMUNE/VILLAGE codes of the village merged away.")
@click.option("--into", "into_code", required=True, help="COMMUNE/VILLAGE codes of the surviving village.")
@click.option("--on", "on", required=True, help="Effective date, YYYY-MM-DD.")
@click.option("--note", default="")
def merge_village(from_code: str, into_code: str, on: str, note: str) -> None:
    """Merge a village into another from a date: its households, committee members and logins move."""
    day = _day(on)
    _run(lambda s: services.merge_village(s, None, _village(s, from_code), _village(s, into_code), day, note,
                                          local_today()))


@bp.cli.command("rename-commune")
@click.option("--code", required=True, help="The commune's code.")
@click.option("--name", "new_name", required=True, help="The new name, e.g. \"Phường Tam Tiến\".")
@click.option("--on", "on", required=True, help="Effective date, YYYY-MM-DD.")
@click.option("--note", default="")
def rename_commune(code: str, new_name: str, on: str, note: str) -> None:
    """Rename a commune from a date; the old name stays in the history."""
    day = _day(on)
    _run(lambda s: services.rename_commune(s, None, services.commune_by_code(s, code), new_name, day, note,
                                           local_today()))


@bp.cli.command("rename-village")
@click.option("--village", "village_code", required=True, help="COMMUNE/VILLAGE codes, e.g. 07264/T01.")
@click.option("--name", "new_name", required=True)
@click.option("--on", "on", required=True, help="Effective date, YYYY-MM-DD.")
@click.option("--note", default="")
def rename_village(village_code: str, new_name: str, on: str, note: str) -> None:
    """Rename a village from a date; the old name stays in the history."""
    day = _day(on)
    _run(lambda s: services.rename_village(s, None, _village(s, village_code), new_name, day, note, local_today()))
