"""Blueprints and request plumbing (language, access rules, error pages)."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from notices_app.web import access, i18n
    from notices_app.web.admin import bp as admin_bp
    from notices_app.web.api import bp as api_bp
    from notices_app.web.auth import bp as auth_bp
    from notices_app.web.billing import bp as billing_bp
    from notices_app.web.bookings import bp as bookings_bp
    from notices_app.web.desk import bp as desk_bp
    from notices_app.web.editions import bp as editions_bp
    from notices_app.web.errors import register_errors
    from notices_app.web.jobs import bp as jobs_bp
    from notices_app.web.proofs import bp as proofs_bp
    from notices_app.web.public import bp as public_bp
    from notices_app.web.publish import bp as publish_bp
    from notices_app.web.search import bp as search_bp
    from notices_app.web.submit import bp as submit_bp

    i18n.init_app(app)
    access.init_app(app)
    for bp in (public_bp, auth_bp, submit_bp, desk_bp, editions_bp, admin_bp, api_bp):
        app.register_blueprint(bp)
    app.register_blueprint(proofs_bp)
    app.register_blueprint(publish_bp)
    app.register_blueprint(billing_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(jobs_bp)
    register_errors(app)
