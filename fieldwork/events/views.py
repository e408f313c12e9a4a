"""Views: being written."""
from . import bp  # noqa: F401
