"""The notices desk web application: `create_app` is the only thing this package does on import."""

from __future__ import annotations

from typing import Any

from flask import Flask

from notices_app.config import DefaultConfig, default_database_uri, env_overrides


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then `config` (tests), then NOTICES_* environment variables."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(DefaultConfig)
    if config:
        app.config.update(config)
    app.config.update(env_overrides())
    if config:
        # Tests pass explicit settings; they must win over a developer's exported environment.
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", default_database_uri(app.instance_path))
    if not app.config.get("STORAGE_DIR"):
        app.config["STORAGE_DIR"] = app.instance_path + "/storage"

    from notices_app import models  # noqa: F401  (registers every table on the metadata)
    from notices_app.db_locks import init_app as init_locks
    from notices_app.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    init_locks(app)  # locking reads take the write lock (SQLite too), busy timeout
    migrate.init_app(
        app, db, directory=str(app.root_path) + "/migrations", render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    from notices_app.web import register_web, security

    register_web(app)
    security.init_app(app)  # after the blueprints: headers, cookies, rate limits

    from notices_app.cli import register_cli

    register_cli(app)
    return app
