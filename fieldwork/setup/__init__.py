"""First-run set-up: the guided path from an empty installation to committees working in the field."""

from flask import Blueprint

bp = Blueprint("setup", __name__)

from . import views  # noqa: E402,F401
