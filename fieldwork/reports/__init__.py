"""Weekly reports for hamlet meetings and the commune: preview, PDF, archive of printed reports, Excel."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from . import views  # noqa: E402,F401
