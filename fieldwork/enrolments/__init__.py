"""Enrolments and renewals, drop-outs, and the contribution calculator page."""

from flask import Blueprint

bp = Blueprint("enrolments", __name__)

from . import views  # noqa: E402,F401
