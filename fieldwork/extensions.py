"""Extensions, created unbound and bound to the app by ``init_app`` in the factory."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
# Limits are declared where they apply (fieldwork/auth/limits.py); storage and strategy come from RATELIMIT_* config.
limiter = Limiter(key_func=get_remote_address)
login_manager = LoginManager()
