"""Outreach events: village meetings, loudspeaker broadcasts, hand-over ceremonies."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from . import views  # noqa: E402,F401
