"""Deny-by-default access: every endpoint declares who may call it, or nobody can.

`@allow("editor", "admin")` or `@allow(PUBLIC)` records the rule on the view function; a request
to an endpoint without a rule is refused with 403, and a test walks the URL map to fail the build
when a new route forgets its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user

from notices_app.extensions import login_manager

PUBLIC = "public"
ANY_USER = "any_user"
F = TypeVar("F", bound=Callable[..., Any])


def allow(*roles: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        view._access = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def rule_for(endpoint: str | None) -> frozenset[str] | None:
    if endpoint is None:
        return None
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "_access", None)


def is_api() -> bool:
    return request.path.startswith("/api/")


def _api_user() -> Any:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    from notices_app.services.accounts import user_for_token

    return user_for_token(header.removeprefix("Bearer ").strip())


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def _load(user_key: str) -> Any:
        from notices_app.services.accounts import user_for_session

        return user_for_session(user_key)

    @app.before_request
    def _enforce() -> Any:
        roles = rule_for(request.endpoint)
        if request.endpoint is None:
            return None  # 404/405 handled by Flask
        # `g` outlives a request when the caller keeps an app context pushed (tests, scripts):
        # never reuse a user that Flask-Login cached before this request.
        g.pop("_login_user", None)
        g.user = _api_user() if is_api() else (current_user if current_user.is_authenticated else None)
        if roles is None:
            app.logger.error("endpoint %s has no access rule: refused", request.endpoint)
            abort(403)
        if PUBLIC in roles:
            return None
        if g.user is None:
            if is_api():
                return jsonify(
                    errors={
                        "_": ["需要登录或有效的 API 令牌" if g.lang == "zh" else "Authentication required"]
                    }
                ), 401
            return redirect(url_for("auth.login", next=request.full_path))
        if ANY_USER in roles or g.user.role in roles:
            return None
        abort(403)
