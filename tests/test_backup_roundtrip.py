"""`flask backup create` then `flask backup restore` gives back every row of every table, on both databases."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel, select

from fieldwork.db import get_engine
from fieldwork.models import AuditEvent, Household, Village, Visit


def _everything(app) -> dict[str, list[tuple]]:
    engine = get_engine(app)
    with engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(
            table.select().order_by(*(table.primary_key.columns or table.columns)))]
            for table in SQLModel.metadata.sorted_tables}


def test_backup_then_restore_gives_back_every_table(app, runner, db, tmp_path):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    before = _everything(app)
    assert len(before["visit"]) > 100 and len(before["person"]) > 1000

    made = runner.invoke(args=["backup", "create", "--dir", str(tmp_path / "backups")])
    assert made.exit_code == 0, made.output
    [backup] = list((tmp_path / "backups").iterdir())
    assert backup.name.startswith("fieldwork-") and stat.S_IMODE(backup.stat().st_mode) == 0o600

    db.exec(Visit.__table__.update().values(notes="ghi đè nhầm"))  # a bad day: notes overwritten, history lost,
    db.exec(AuditEvent.__table__.delete())  # a household renamed, a village added by mistake
    household = db.exec(select(Household).order_by(Household.id)).first()
    household.head_name = "Tên Bị Sửa Nhầm"
    db.add(household)
    db.add(Village(commune_id=db.exec(select(Village.commune_id)).first(), code="X99", name="Thôn Thêm Nhầm"))
    db.commit()
    assert _everything(app) != before

    refused = runner.invoke(args=["backup", "restore", str(backup)], input="n\n")
    assert refused.exit_code != 0 and _everything(app)["audit_event"] == []  # nothing replaced without a yes
    restored = runner.invoke(args=["backup", "restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    after = _everything(app)
    for name, rows in before.items():
        assert after[name] == rows, name
    if get_engine(app).dialect.name == "sqlite":  # the search index came back with its table
        with get_engine(app).connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM search_fts")).scalar() == len(before["search_entry"])


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    junk = tmp_path / "fieldwork-x.sqlite3"
    junk.write_bytes(b"not a database")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    for path in (junk, other):
        result = runner.invoke(args=["backup", "restore", str(path), "--yes"])
        assert result.exit_code != 0 and "Error" in result.output
