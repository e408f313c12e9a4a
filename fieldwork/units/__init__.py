"""Administrative changes (admins only): communes and villages renamed or merged from a date, and their history.

The blueprint's CLI group gives ``flask units merge-commune|merge-village|rename-commune|rename-village``.
"""

from flask import Blueprint

bp = Blueprint("units", __name__, cli_group="units")

from . import cli, views  # noqa: E402,F401
