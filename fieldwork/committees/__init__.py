"""Villages and their mobilization committees: members, heads, joining and leaving, logins."""

from flask import Blueprint

bp = Blueprint("committees", __name__)

from . import views  # noqa: E402,F401
