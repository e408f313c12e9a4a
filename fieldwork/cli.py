"""Flask commands: ``flask db ...``, ``flask reference load``, ``flask demo load``, ``flask user create``,
``flask user create-admin``,
``flask reports freeze-week``, ``flask backup create|restore``."""

from __future__ import annotations

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlmodel import select

from .db import session_scope
from .models import Commune, Role, User, Village
from .text import is_valid_phone, local_today, normalise_phone

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
reference_cli = AppGroup("reference", help="Reference data: administrative units and legal parameters.")
demo_cli = AppGroup("demo", help="The demo commune.")
user_cli = AppGroup("user", help="User accounts.")
reports_cli = AppGroup("reports", help="Weekly reports.")
backup_cli = AppGroup("backup", help="Online backups of the database, and restoring one.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from .migrate import upgrade

    upgrade(current_app, revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from .migrate import alembic_config

    command.downgrade(alembic_config(current_app), revision)


@db_cli.command("current")
@with_appcontext
def db_current() -> None:
    from .migrate import alembic_config

    command.current(alembic_config(current_app), verbose=True)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a new revision from the difference between the models and the database."""
    from .migrate import alembic_config

    command.revision(alembic_config(current_app), message=message, autogenerate=True)


@reference_cli.command("load")
@with_appcontext
def reference_load() -> None:
    """Load the province and commune catalogue and the default legal parameters (idempotent)."""
    from .reference import load_reference_data

    with session_scope() as session:
        added = load_reference_data(session)
    click.echo(
        f"Reference data: {added['provinces']} provinces, {added['communes']} communes, "
        f"{added['parameters']} parameters added."
    )


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds villages.")
@click.option("--seed", default=2025, show_default=True)
@with_appcontext
def demo_load(if_empty: bool, seed: int) -> None:
    """Build the demo commune (deterministic for a given day and seed)."""
    from .demo import build_demo, has_data

    with session_scope() as session:
        if has_data(session):
            if if_empty:
                click.echo("The database already holds data: demo not loaded.")
                return
            raise click.ClickException("The database already holds data; the demo goes into an empty one.")
        summary = build_demo(session, today=local_today(), seed=seed)
    click.echo(
        f"Demo commune {summary.commune_name}: {summary.villages} villages, {summary.households} households, "
        f"{summary.people} people, {summary.visits} visits, {summary.enrolments} enrolments, "
        f"{summary.sponsorships} sponsorships."
    )


@demo_cli.command("logins")
@with_appcontext
def demo_logins() -> None:
    """Print the demo logins."""
    from .demo import DEMO_PASSWORD

    with session_scope() as session:
        users = session.exec(select(User).where(User.phone.like("09000000%")).order_by(User.phone)).all()
    click.echo("Demo logins (password: %s)" % DEMO_PASSWORD)
    for user in users:
        click.echo(f"  {user.phone}  {user.role.value:<9} {user.display_name}")


@user_cli.command("create")
@click.option("--phone", required=True, help="Login phone number, e.g. 0912345678.")
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--commune-code", help="Official's or member's commune (5-digit code).")
@click.option("--village-code", help="Member's village code within the commune.")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def user_create(phone, display_name, role, commune_code, village_code, password) -> None:
    """Create a user account."""
    from .auth.services import create_user

    phone = normalise_phone(phone)
    if not is_valid_phone(phone):
        raise click.BadParameter("phone must be 10 digits starting with 0", param_hint="--phone")
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="password")
    role = Role(role)
    with session_scope() as session:
        if session.exec(select(User).where(User.phone == phone)).first():
            raise click.ClickException(f"A user with phone {phone} exists already.")
        commune = village = None
        if role != Role.ADMIN:
            if not commune_code:
                raise click.BadParameter("required for officials and members", param_hint="--commune-code")
            commune = session.exec(select(Commune).where(Commune.code == commune_code)).first()
            if commune is None:
                raise click.BadParameter(f"no commune with code {commune_code}", param_hint="--commune-code")
        if role == Role.MEMBER:
            village = session.exec(
                select(Village).where(Village.commune_id == commune.id, Village.code == (village_code or ""))
            ).first()
            if village is None:
                raise click.BadParameter("a member needs an existing village of the commune", param_hint="--village-code")
        user = create_user(
            session,
            phone=phone,
            display_name=display_name,
            role=role,
            password=password,
            commune_id=commune.id if commune else None,
            village_id=village.id if village else None,
        )
        click.echo(f"Created {role.value} {user.display_name} ({user.phone}).")


@user_cli.command("create-admin")
@click.option("--phone", required=True, help="Login phone number, e.g. 0912345678.")
@click.option("--name", "display_name", required=True, help="The admin's full name, e.g. \"Nguyễn Văn An\".")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@with_appcontext
def user_create_admin(phone: str, display_name: str, password_stdin: bool) -> None:
    """Create the installation's first admin (or another one). There is no default password: it is typed twice,
    hidden, or read from standard input, and must pass the same rules as any password of the app."""
    import sys

    from flask_babel import force_locale

    from .auth.passwords import password_problem
    from .auth.services import create_user

    phone = normalise_phone(phone)
    if not is_valid_phone(phone):
        raise click.BadParameter("phone must be 10 digits starting with 0", param_hint="--phone")
    display_name = " ".join(display_name.split())
    if not display_name:
        raise click.BadParameter("the admin's name is needed", param_hint="--name")
    with session_scope() as session:
        if session.exec(select(User.id).where(User.phone == phone)).first() is not None:
            raise click.ClickException(f"A user with phone {phone} exists already.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    with force_locale("vi"):  # the app's own sentences, in the language of whoever installs it
        problem = password_problem(password, phone=phone, name=display_name)
    if problem:
        raise click.ClickException(f"Password refused: {problem}")
    with session_scope() as session:
        user = create_user(session, phone=phone, display_name=display_name, role=Role.ADMIN, password=password)
        click.echo(f"Created admin {user.display_name} ({user.phone}). Sign in and follow “Thiết lập ban đầu”.")


@reports_cli.command("freeze-week")
@click.option("--week", "week_key", default=None, help="ISO week, e.g. 2026-W47 (default: last week).")
@click.option("--commune", "commune_code", default=None, help="Only this commune (5-digit code).")
def reports_freeze_week(week_key: str | None, commune_code: str | None) -> None:
    """Print and archive the week's report of every active village and of every commune that has villages; a
    report already printed for the week is left as it is, so the weekly cron can run again safely."""
    from .reports.commands import freeze_week
    from .reports.week import parse_week, week_of

    week = parse_week(week_key) if week_key else week_of(local_today()).shifted(-1)
    if week is None or week.first > local_today():
        raise click.BadParameter("expected a past or current ISO week such as 2026-W47", param_hint="--week")
    with session_scope() as session:
        printed, skipped = freeze_week(session, week, local_today(), commune_code)
    click.echo(f"Week {week.key}: {printed} reports printed, {skipped} already printed.")


@backup_cli.command("create")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to write the backup (default: instance/backups).")
def backup_create(directory: str | None) -> None:
    """A consistent copy of the database while the app keeps running, in a dated file."""
    from pathlib import Path

    from .backup import BackupError, create

    try:
        path = create(current_app.config["DATABASE_URL"], Path(directory or Path(current_app.instance_path) / "backups"))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {path} ({path.stat().st_size:,} bytes).")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask: the current database is replaced.")
def backup_restore(source: str, yes: bool) -> None:
    """Replace the database by a backup made with `flask backup create`. Stop the app first."""
    from pathlib import Path

    from .backup import BackupError, restore
    from .db import get_engine

    if not yes:
        click.confirm("This replaces every record in the database with the backup. Continue?", abort=True)
    get_engine(current_app).dispose()
    try:
        restore(current_app.config["DATABASE_URL"], Path(source))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database restored from {source}.")


def init_app(app: Flask) -> None:
    for group in (db_cli, reference_cli, demo_cli, user_cli, reports_cli, backup_cli):
        app.cli.add_command(group)
