"""The security baseline every response gets: cookie settings, security headers and the
Content-Security-Policy, rate limits, safe redirect targets, and the check that every route
declares an access rule.

Production (`NOTICES_PRODUCTION=true`) tightens what a developer's laptop cannot have: the
session cookie becomes `__Host-…` and Secure, HSTS is sent, and rate limits live in Redis so
every worker counts the same attempts.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import flask
from flask import Flask, Response, abort, current_app, g, jsonify, render_template
from flask_limiter import RateLimitExceeded
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from notices_app.extensions import limiter
from notices_app.web.access import is_api
from notices_app.web.i18n import pick_lang, t

DEV_SECRET_KEY = "dev-only-change-me"
STRIPE_CHECKOUT = "https://checkout.stripe.com"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)


# --- the Content-Security-Policy ------------------------------------------------------------------


def csp_nonce() -> str:
    """This response's nonce, for the rare `<script>`/`<style>` element a template keeps inline."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return str(nonce)


def content_security_policy(nonce: str | None = None) -> str:
    """The policy: our own origin only, nothing inline except nonce-bearing elements, and forms
    may post to us or be redirected on to Stripe Checkout (Chrome checks form-action on the
    redirect after a POST, so the checkout host must be listed)."""
    extra = f" 'nonce-{nonce}'" if nonce else ""
    directives = [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        f"style-src 'self'{extra}",
        f"script-src 'self'{extra}",
        f"form-action 'self' {STRIPE_CHECKOUT}",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
    return "; ".join(directives)


def _security_headers(resp: Response) -> Response:
    headers = resp.headers
    # A PDF or PNG gets no CSP: Chrome's PDF viewer refuses to run under object-src 'none'.
    if resp.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("PRODUCTION"):
        seconds = int(current_app.config.get("HSTS_SECONDS", 63072000))
        headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    return resp


# --- redirects --------------------------------------------------------------------------------------


def is_local_path(target: str | None) -> bool:
    """True for a path on this site that no browser could read as another host.

    Browsers treat a backslash as a slash and drop tabs and newlines inside URLs, so "/\\evil",
    "/\\t/evil" and "//evil" all lead off-site; so does anything with a scheme ("javascript:").
    """
    if not target or not target.startswith("/"):
        return False
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    if target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a local path (see is_local_path), else `fallback`."""
    return target if target is not None and is_local_path(target) else fallback


# --- values the database cannot even compare -----------------------------------------------------

# Werkzeug's <int:…> takes any number of digits, but the ids are PostgreSQL `integer` columns: a
# bigger number, or a NUL character in a string, makes the driver raise (a 500) where the query
# should simply find nothing.
_ID_RANGE = range(-(2**31), 2**31)


def url_value_fits(value: Any) -> bool:
    """True when a URL value can be looked up: an int within `integer`, a string without NUL."""
    if type(value) is int:
        return value in _ID_RANGE
    return not (isinstance(value, str) and "\x00" in value)


def _url_values_fit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and not all(url_value_fits(v) for v in values.values()):
        abort(404)


class Request(flask.Request):
    """The app's request: query values arrive without NUL. They reach filters and searches as
    typed, PostgreSQL refuses to compare text holding a NUL (a 500), and no real link has %00."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        raw: MultiDict[str, str] = flask.Request.args.fget(self)  # type: ignore[attr-defined]
        if not any("\x00" in key or "\x00" in value for key, value in raw.items(multi=True)):
            return raw
        return self.parameter_storage_class(
            (key.replace("\x00", ""), value.replace("\x00", "")) for key, value in raw.items(multi=True)
        )


# --- access rules -----------------------------------------------------------------------------------


def unguarded_endpoints(app: Flask) -> list[str]:
    """Endpoints whose view declares no `@allow` rule (web/access.py refuses them with 403)."""
    return sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "_access", None) is None
    )


# --- rate limits ------------------------------------------------------------------------------------
# Who a request counts against (`limit_key`) lives beside the limiter in notices_app/extensions.py:
# the limiter needs it when it is made, and that module must not import the web layer.


def limit_from_config(key: str) -> Callable[[], str]:
    """A limit read from the app's config on every request, so tests and operators can change it."""

    def value() -> str:
        return str(current_app.config[key])

    value.__name__ = f"limit_{key.lower()}"
    return value


def _limits_off() -> bool:
    return not current_app.config.get("RATELIMIT_ENABLED")


def _not_api() -> bool:
    return not is_api()


limiter.request_filter(_limits_off)  # once, at import: the filter reads the current app's config


def _too_many_requests(err: RateLimitExceeded) -> Any:
    if getattr(g, "lang", None) is None:
        g.lang = pick_lang()
    text = t("请求过于频繁，请稍后再试。", "Too many requests: please wait a moment and try again.")
    if is_api():
        return jsonify(errors={"_": [text]}), 429
    return render_template("error.html", code=429, message=text), 429


def _storage_uri(app: Flask) -> str:
    configured = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if configured:
        return str(configured)
    redis_url = app.config.get("REDIS_URL") or ""
    if redis_url:
        return str(redis_url)
    if app.config.get("PRODUCTION"):
        raise RuntimeError(
            "NOTICES_PRODUCTION needs NOTICES_REDIS_URL (or NOTICES_RATELIMIT_STORAGE_URI): "
            "in-memory rate limits would count per worker"
        )
    return "memory://"


def _init_limiter(app: Flask) -> None:
    wanted = app.config.get("RATELIMIT_ENABLED")
    if wanted is None:
        wanted = not app.testing  # the test suite switches limits on where it tests them
    app.config["RATELIMIT_STORAGE_URI"] = _storage_uri(app)
    # The API's budget covers every /api/ path, whichever blueprint serves it.
    app.config.setdefault("RATELIMIT_APPLICATION", limit_from_config("RATELIMIT_API"))
    app.config.setdefault("RATELIMIT_APPLICATION_EXEMPT_WHEN", _not_api)
    # Flask-Limiter keeps "enabled" on the one Limiter object, shared by every app in the process
    # (the tests build several): it is initialised enabled, and each app switches itself with
    # the request filter below.
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = bool(wanted)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


# --- cookies and production checks --------------------------------------------------------------------

# Flask signs sessions with HMAC-SHA1 and Flask-WTF its CSRF tokens with the same key: below 32
# bytes (256 bits) the key, not the hash, is the weak part, and a short one can be guessed offline
# from any signed cookie.
MIN_SECRET_KEY_BYTES = 32
MAKE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def secret_key_problem(key: object) -> str | None:
    """Why `key` is unfit to sign production cookies, or None when it will do.

    Length is measured in bytes of the UTF-8 text; a key of only a few different characters
    ("aaaa…", "abab…") is refused however long, since it holds far less than its length.
    """
    if key is None or key == "":
        return "it is not set"
    if key == DEV_SECRET_KEY:
        return "it is the development default"
    if isinstance(key, str):
        raw = key.encode()
    elif isinstance(key, bytes | bytearray):
        raw = bytes(key)
    else:
        return f"it is a {type(key).__name__}, not text"
    if len(raw) < MIN_SECRET_KEY_BYTES:
        return f"it has {len(raw)} bytes, at least {MIN_SECRET_KEY_BYTES} are needed"
    if len(set(raw)) < 8:
        return "it repeats a few characters instead of being random"
    return None


DEV_SITE_URL = "http://127.0.0.1:5000"  # what scripts/demo.sh serves


def _configure_site_url(app: Flask) -> None:
    """SITE_URL (NOTICES_SITE_URL, api.md's name) and PUBLIC_BASE_URL, its older name used by the
    proofs, become one setting; production needs it, as https, since links never follow Host."""
    config = app.config
    url = str(config.get("SITE_URL") or config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise RuntimeError(
                f"NOTICES_SITE_URL must be an http(s) address like https://notices.example.cn, not {url!r}"
            )
    if config.get("PRODUCTION"):
        if not url:
            raise RuntimeError(
                "NOTICES_PRODUCTION needs NOTICES_SITE_URL (e.g. https://notices.example.cn): feeds and "
                "proofs link to it, never to the Host header a request sent"
            )
        if not url.startswith("https://"):
            raise RuntimeError("NOTICES_SITE_URL must start with https:// in production")
    config["SITE_URL"] = url
    if url and not config.get("PUBLIC_BASE_URL"):
        config["PUBLIC_BASE_URL"] = url


def site_url() -> str:
    """The configured public address of the site's root, without a trailing slash."""
    return str(current_app.config.get("SITE_URL") or DEV_SITE_URL).rstrip("/")


def absolute_url(endpoint: str, **values: Any) -> str:
    """`url_for(endpoint, **values)` on the configured site address, whatever the request's Host."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return site_url() + path


def _configure_cookies(app: Flask) -> None:
    config = app.config
    config["SESSION_COOKIE_HTTPONLY"] = True
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if not config.get("PRODUCTION"):
        return
    problem = secret_key_problem(config.get("SECRET_KEY"))
    if problem:
        raise RuntimeError(
            f"NOTICES_PRODUCTION needs a real NOTICES_SECRET_KEY: {problem}. Make one with\n"
            f"    {MAKE_SECRET_KEY}\n"
            "and give every web and worker process the same value."
        )
    if config.get("SESSION_COOKIE_DOMAIN"):
        raise RuntimeError("a __Host- session cookie cannot name a domain: unset SESSION_COOKIE_DOMAIN")
    config["SESSION_COOKIE_NAME"] = config.get("PRODUCTION_SESSION_COOKIE_NAME") or "__Host-session"
    config["SESSION_COOKIE_SECURE"] = True
    config["SESSION_COOKIE_PATH"] = "/"
    config["REMEMBER_COOKIE_SECURE"] = True


def _trust_proxies(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Without this every client behind the reverse proxy shares the proxy's address (and
        # one rate-limit budget); with it, X-Forwarded-For is believed for `hops` proxies only.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Install the baseline on `app`; call after the blueprints are registered (the rate limits
    then run after the access check, which tells them who the user is)."""
    _configure_cookies(app)
    _configure_site_url(app)
    _trust_proxies(app)
    _init_limiter(app)
    app.request_class = Request
    app.url_value_preprocessor(_url_values_fit)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_security_headers)
    for endpoint in unguarded_endpoints(app):
        app.logger.error("endpoint %s has no access rule: every request to it is refused", endpoint)
