"""The history of a record: every change the audit trail holds, who made it and when, for officials in scope."""

from flask import Blueprint

bp = Blueprint("history", __name__)

from . import views  # noqa: E402,F401
