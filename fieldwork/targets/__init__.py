"""Targets (chỉ tiêu) from commune to member, progress computed from enrolments, dashboards, emulation."""

from flask import Blueprint

bp = Blueprint("targets", __name__)

from . import views  # noqa: E402,F401
