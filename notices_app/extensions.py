"""Flask extensions, created unbound here and initialised in create_app."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from notices_app.models.base import Base


def _limit_key() -> str:
    # Imported late: the key needs the web layer, which imports this module.
    from notices_app.web.security import limit_key

    return limit_key()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# Rate limits; configured (storage, limits, on/off per app) in notices_app/web/security.py.
limiter = Limiter(key_func=_limit_key)
