"""Flask extensions, created unbound here and initialised in create_app."""

from __future__ import annotations

import hashlib

from flask import g, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from notices_app.models.base import Base


def limit_key() -> str:
    """Who a request counts against: the signed-in user or API token's owner, else the address.

    A user's budget follows them across addresses (an office behind one NAT shares an address);
    anonymous attempts (log-in, sign-up) count per address.
    """
    user = g.get("user")
    user_id = getattr(user, "id", None)
    if user_id is not None:
        return f"user:{user_id}"
    address = request.remote_addr or "unknown"
    return "ip:" + hashlib.sha256(address.encode()).hexdigest()[:16]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# Rate limits; configured (storage, limits, on/off per app) in notices_app/web/security.py.
limiter = Limiter(key_func=limit_key)
