"""Who is responsible for which household: assigning, bulk and auto-balanced assignment, handover, review."""

from flask import Blueprint

bp = Blueprint("assignments", __name__)

from . import views  # noqa: E402,F401
