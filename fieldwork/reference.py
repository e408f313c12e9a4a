"""Reference data the app needs at run time: the 2025 province and commune catalogue, and the legal parameters."""

from __future__ import annotations

import csv
from importlib import resources

from sqlmodel import Session, select

from .models import Commune, CommuneKind, Province, ProvinceKind
from .policy import seed_parameters

CATALOGUE = "vn_admin_units_2025.csv"


def load_catalogue(session: Session) -> tuple[int, int]:
    """Insert the provinces and communes not yet present (by code). Returns (provinces added, communes added).

    Existing rows are left as they are: an administrator may have corrected them since.
    """
    text = resources.files("fieldwork.data").joinpath(CATALOGUE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    provinces = {p.code: p for p in session.exec(select(Province)).all()}
    known_communes = set(session.exec(select(Commune.code)).all())
    added_p = added_c = 0
    for row in rows:
        code = row["province_code"]
        if code not in provinces:
            name = row["province_name"]
            kind = ProvinceKind.THANH_PHO if name.startswith("Thành phố") else ProvinceKind.TINH
            provinces[code] = Province(code=code, name=name, kind=kind)
            session.add(provinces[code])
            added_p += 1
    session.flush()
    new_communes = [
        Commune(
            province_id=provinces[row["province_code"]].id,
            code=row["commune_code"],
            name=row["commune_name"],
            kind=CommuneKind(row["commune_type"]),
        )
        for row in rows
        if row["commune_code"] not in known_communes
    ]
    session.add_all(new_communes)
    added_c = len(new_communes)
    session.flush()
    return added_p, added_c


def load_reference_data(session: Session) -> dict[str, int]:
    provinces, communes = load_catalogue(session)
    parameters = seed_parameters(session)
    return {"provinces": provinces, "communes": communes, "parameters": parameters}
