"""The security baseline: headers and CSP on every page, cookies (and the production variants),
sessions ended by logout and by a password change, rate limits, open redirects, deny-by-default
and owner scoping checked over every route in `app.url_map`."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
import pytest
import sqlalchemy as sa
from apphelpers import api_headers, login
from flask import Flask
from flask.testing import FlaskClient
from routewalk import STAFF, World, build_world, fill, routes, sign_in

from notices_app import create_app
from notices_app.extensions import db, limiter
from notices_app.models import AdBooking, Notice, NoticeEvent, Payment, User
from notices_app.web.access import allow
from notices_app.web.security import (
    STRIPE_CHECKOUT,
    content_security_policy,
    is_local_path,
    unguarded_endpoints,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "notices_app" / "templates"
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# What `python -c "import secrets; print(secrets.token_urlsafe(48))"` prints (64 characters).
PRODUCTION_KEY = "kq3V9yR2w0tXo1bNc7Lz8mPa5sDf4gHj6kUe2iOp0rTy3uIw9eQr1tYu5iOp7aSd"
SITE = "https://notices.example.cn"


def _fresh_app(tmp_path: Path, **config: Any) -> Flask:
    """A separate app on its own SQLite file (tables made directly: no migration history needed)."""
    fresh = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.sqlite3",
            "SECRET_KEY": PRODUCTION_KEY,
            "WTF_CSRF_ENABLED": False,
            "STORAGE_DIR": str(tmp_path / "storage"),
            **config,
        }
    )
    with fresh.app_context():
        db.create_all()
    return fresh


# --- headers and the Content-Security-Policy ---------------------------------------------------------


def test_the_policy_is_ours_only_and_lets_forms_go_to_stripe_checkout() -> None:
    policy = dict(d.split(" ", 1) for d in content_security_policy("abc").split("; "))
    assert policy == {
        "default-src": "'self'",
        "img-src": "'self' data: blob:",
        "style-src": "'self' 'nonce-abc'",
        "script-src": "'self' 'nonce-abc'",
        "form-action": f"'self' {STRIPE_CHECKOUT}",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }
    assert "unsafe" not in content_security_policy("abc")
    assert "nonce" not in content_security_policy(None)
    assert STRIPE_CHECKOUT == "https://checkout.stripe.com"  # where Checkout Sessions send the payer


class _InlineCode(HTMLParser):
    """Everything in a page the policy would block: style and on… attributes, javascript: links,
    and <script>/<style> elements without this response's nonce."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "script" and not a.get("src") and (self.nonce is None or a.get("nonce") != self.nonce):
            self.found.append("<script> without this response's nonce")
        if tag == "style" and (self.nonce is None or a.get("nonce") != self.nonce):
            self.found.append("<style> without this response's nonce")
        if tag == "script" and a.get("src") and urlsplit(a["src"] or "").netloc:
            self.found.append(f"<script src={a['src']}> from another origin")


def test_every_page_has_the_headers_and_nothing_the_policy_would_block(app: Flask) -> None:
    world = build_world()
    checked = 0
    for route in routes(app):
        if "GET" not in route.methods:
            continue
        role = route.caller()
        if role is None and not route.public:
            continue
        client = app.test_client()
        sign_in(client, world.user_id(role))
        headers = world.api_headers(role) if route.is_api else {}
        resp = client.get(fill(app, route.rule, world.values_for(route.endpoint)), headers=headers)
        resp.close()  # a served file stays open until then; headers and data are read already
        where = f"{route.endpoint} ({resp.status_code})"
        for name, value in BASE_HEADERS.items():
            assert resp.headers.get(name) == value, (where, name)
        assert "Permissions-Policy" in resp.headers, where
        assert "Strict-Transport-Security" not in resp.headers, where  # production only
        if resp.mimetype != "text/html":
            assert "Content-Security-Policy" not in resp.headers, where
            continue
        policy = resp.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert policy == content_security_policy(nonce.group(1) if nonce else None), where
        parser = _InlineCode(nonce.group(1) if nonce else None)
        parser.feed(resp.get_data(as_text=True))
        assert parser.found == [], (where, parser.found)
        checked += 1
    assert checked > 20


def test_no_template_keeps_code_the_policy_would_block() -> None:
    """Templates the walk above may not render (no data for them) are read as source."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(TEMPLATES)
        for pattern, what in (
            (r"\sstyle\s*=", "style attribute"),
            (r"\son[a-z]+\s*=", "inline event handler"),
            (r"javascript:", "javascript: URL"),
            (r"<script(?![^>]*\b(src|nonce)\s*=)[^>]*>", "<script> without src or nonce"),
            (r"<style(?![^>]*\bnonce\s*=)[^>]*>", "<style> without nonce"),
        ):
            for m in re.finditer(pattern, text, flags=re.IGNORECASE):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: {what}")
    assert problems == []


def test_json_and_files_get_the_headers_but_no_policy(client: FlaskClient) -> None:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    for name, value in BASE_HEADERS.items():
        assert resp.headers[name] == value
    assert "Content-Security-Policy" not in resp.headers


# --- cookies -------------------------------------------------------------------------------------------


def _set_cookie(resp: Any, name: str) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, resp.headers.getlist("Set-Cookie")
    return cookies[-1]


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, users) -> None:
    user = users("filer")
    resp = client.post("/login", data={"email": user.email, "password": "password-123"})
    cookie = _set_cookie(resp, "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in development; production forces it (below)


def test_production_uses_a_host_prefixed_secure_cookie_and_hsts(tmp_path: Path) -> None:
    prod = _fresh_app(tmp_path, PRODUCTION=True, RATELIMIT_STORAGE_URI="memory://", SITE_URL=SITE)
    with prod.app_context():
        from notices_app.services.accounts import create_user

        create_user("p@example.cn", "password-123", "editor")
    client = prod.test_client()
    resp = client.post("/login", data={"email": "p@example.cn", "password": "password-123"})
    assert resp.status_code == 302
    cookie = _set_cookie(resp, "__Host-session")
    for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert part in cookie
    assert "Domain" not in cookie  # a __Host- cookie may not name one
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get("/desk/").status_code == 200  # the prefixed cookie carries the session


MEMORY = {"RATELIMIT_STORAGE_URI": "memory://", "SITE_URL": SITE}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({**MEMORY, "SECRET_KEY": "dev-only-change-me"}, "SECRET_KEY: it is the development default"),
        ({**MEMORY, "SECRET_KEY": ""}, "SECRET_KEY: it is not set"),
        ({**MEMORY, "SECRET_KEY": "x"}, "it has 1 bytes, at least 32"),
        ({**MEMORY, "SECRET_KEY": "a-real-secret-for-tests"}, "it has 23 bytes, at least 32"),
        ({**MEMORY, "SECRET_KEY": "ab" * 32}, "repeats a few characters"),
        ({**MEMORY, "SITE_URL": ""}, "NOTICES_SITE_URL"),
        ({**MEMORY, "SITE_URL": "http://notices.example.cn"}, "https://"),
        ({**MEMORY, "SITE_URL": "notices.example.cn"}, "NOTICES_SITE_URL must be an http"),
        ({"SITE_URL": SITE, "REDIS_URL": "", "RATELIMIT_STORAGE_URI": ""}, "REDIS_URL"),
        ({**MEMORY, "SESSION_COOKIE_DOMAIN": "example.cn"}, "domain"),
    ],
)
def test_production_refuses_to_start_misconfigured(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuntimeError, match=re.escape(message)):
        _fresh_app(tmp_path, PRODUCTION=True, **config)


def test_a_short_secret_key_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as refused:
        _fresh_app(tmp_path, PRODUCTION=True, **MEMORY, SECRET_KEY="s3cret!")
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in str(refused.value)
    with pytest.raises(RuntimeError, match="it has 31 bytes"):
        _fresh_app(tmp_path, PRODUCTION=True, **MEMORY, SECRET_KEY=secrets.token_urlsafe(23))
    # 32 bytes are enough, counted in UTF-8 (11 Chinese characters are 33).
    for key in (
        "淄博晚报公告登报系统钥",
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(48),
        secrets.token_hex(32),
    ):
        assert _fresh_app(tmp_path, PRODUCTION=True, **MEMORY, SECRET_KEY=key).config["SECRET_KEY"] == key


def test_outside_production_the_demo_key_still_starts(tmp_path: Path) -> None:
    """scripts/demo.sh sets no key and no NOTICES_PRODUCTION: the demo must keep starting."""
    demo = _fresh_app(tmp_path, SECRET_KEY="dev-only-change-me", TESTING=False)
    assert demo.config["SECRET_KEY"] == "dev-only-change-me" and not demo.config["PRODUCTION"]


@pytest.fixture
def memory_limits_after(app: Flask) -> Iterator[None]:
    """Limiter state is per process: a test that points it at Redis hands memory back after."""
    yield
    app.config["RATELIMIT_ENABLED"], enabled = True, app.config["RATELIMIT_ENABLED"]
    limiter.init_app(app)  # storage from the shared app's config: memory://
    app.config["RATELIMIT_ENABLED"] = enabled


def test_production_counts_in_redis(tmp_path: Path, memory_limits_after: None) -> None:
    prod = _fresh_app(tmp_path, PRODUCTION=True, REDIS_URL="redis://127.0.0.1:6379/0", SITE_URL=SITE)
    assert prod.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    if not limiter.storage.check():
        pytest.skip("no Redis on 127.0.0.1:6379")
    prod.config.update(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    # An address of its own, so concurrent runs against the same Redis count apart; keys expire.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    client = prod.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    codes = [client.post("/login", data={"email": "x@y.cn", "password": "p"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- sessions end on logout and on a password change -----------------------------------------------------


def test_logout_ends_the_session_even_for_a_copy_of_its_cookie(app: Flask, users) -> None:
    user = users("filer")
    client = app.test_client()
    login(client, user)
    stolen = client.get_cookie("session")
    assert stolen is not None
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    resp = thief.get("/notices/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_password_change_ends_other_sessions_and_keeps_this_one(app: Flask, users) -> None:
    user = users("filer")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    resp = here.post(
        "/account/password",
        data={
            "current_password": "password-123",
            "new_password": "new-password-9",
            "confirm": "new-password-9",
        },
    )
    assert resp.status_code == 302
    assert here.get("/notices/").status_code == 200
    assert elsewhere.get("/notices/").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": "password-123"}).status_code == 200
    assert fresh.post("/login", data={"email": user.email, "password": "new-password-9"}).status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {
                "current_password": "wrong-one-1",
                "new_password": "new-password-9",
                "confirm": "new-password-9",
            },
            "current_password",
            "当前密码不正确",
        ),
        (
            {"current_password": "password-123", "new_password": "short", "confirm": "short"},
            "new_password",
            "至少需要8位",
        ),
        (
            {"current_password": "password-123", "new_password": "new-password-9", "confirm": "other-pass-9"},
            "confirm",
            "不一致",
        ),
        (
            {"current_password": "", "new_password": "new-password-9", "confirm": "new-password-9"},
            "current_password",
            "请填写当前密码",
        ),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app: Flask, users, data: dict[str, str], field: str, message: str
) -> None:
    user = users("filer")
    before = (user.password_hash, user.session_version)
    client = app.test_client()
    login(client, user)
    resp = client.post("/account/password", data=data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    at = html.index(f'id="{field}"')
    assert message in html[at : at + 600]  # the error sits with its field
    db.session.refresh(user)
    assert (user.password_hash, user.session_version) == before


def test_the_password_page_needs_a_login(client: FlaskClient) -> None:
    resp = client.get("/account/password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --- rate limits --------------------------------------------------------------------------------------------


@pytest.fixture
def limits(app: Flask) -> Iterator[dict[str, Any]]:
    """Rate limits on for one test, low; off again (and forgotten) afterwards."""
    saved = {k: v for k, v in app.config.items() if k.startswith("RATELIMIT_")}
    app.config.update(RATELIMIT_ENABLED=True)
    limiter.reset()
    try:
        yield app.config
    finally:
        app.config.update(saved)
        limiter.reset()


def test_limits_are_off_in_the_test_configuration(app: Flask) -> None:
    assert app.config["RATELIMIT_ENABLED"] is False
    client = app.test_client()
    codes = {client.post("/login", data={"email": "a@b.cn", "password": "x"}).status_code for _ in range(25)}
    assert codes == {200}


def test_login_attempts_are_limited_per_address(app: Flask, limits: dict[str, Any]) -> None:
    limits["RATELIMIT_LOGIN"] = "3 per minute"
    client = app.test_client()
    codes = [client.post("/login", data={"email": "a@b.cn", "password": "x"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.post("/login", data={"email": "a@b.cn", "password": "x"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert resp.mimetype == "text/html" and "请求过于频繁" in resp.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # looking at the form costs nothing
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert other.post("/login", data={"email": "a@b.cn", "password": "x"}).status_code == 200


def test_signups_are_limited(app: Flask, pub, limits: dict[str, Any]) -> None:
    limits["RATELIMIT_SIGNUP"] = "2 per hour"
    codes = []
    for i in range(3):
        data = {"org_name": f"淄博测试{i}有限公司", "email": f"s{i}@example.cn", "password": "password-123"}
        codes.append(app.test_client().post("/signup", data=data).status_code)
    assert codes == [302, 302, 429]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_notice_submission_is_limited_per_user(app: Flask, users, limits: dict[str, Any]) -> None:
    limits["RATELIMIT_SUBMIT"] = "2 per minute"
    filer, other = users("filer"), users("filer", org="淄博另一家公司")
    client = app.test_client()
    login(client, filer)
    form = {"title": "公告", "body": "本公司定于下月召开股东大会。", "signer": "淄博测试有限公司"}
    codes = [client.post("/notices/new/general", data=form).status_code for _ in range(3)]
    assert 429 not in codes[:2] and codes[2] == 429
    assert client.get("/notices/new/general").status_code == 200  # reading the form is free
    second = app.test_client()
    login(second, other)
    assert second.post("/notices/new/general", data=form).status_code != 429


def test_api_calls_are_limited_per_token_with_a_json_error(app: Flask, users, limits: dict[str, Any]) -> None:
    limits["RATELIMIT_API"] = "3 per minute"
    client = app.test_client()
    headers = api_headers(users("filer"))
    codes = [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
    resp = client.get("/api/v1/editions", headers=headers)  # one budget across the API
    assert codes == [200, 200, 200] and resp.status_code == 429
    assert resp.mimetype == "application/json"
    errors = resp.get_json()["errors"]
    assert list(errors) == ["_"] and "请求过于频繁" in errors["_"][0]
    english = client.get("/api/v1/me", headers={**headers, "Accept-Language": "en"})
    assert english.get_json()["errors"]["_"] == ["Too many requests: please wait a moment and try again."]
    assert client.get("/api/v1/me", headers=api_headers(users("editor"))).status_code == 200


def test_searches_are_limited_per_address(app: Flask, pub, limits: dict[str, Any]) -> None:
    limits["RATELIMIT_SEARCH"] = "2 per minute"
    client = app.test_client()
    codes = [client.get("/search", query_string={"q": f"公告{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    resp = client.get("/search", query_string={"q": "遗失"})
    assert resp.status_code == 429 and "请求过于频繁" in resp.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert other.get("/search", query_string={"q": "公告"}).status_code == 200


# --- redirects -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,hi",
        "evil.example",
    ],
)
def test_login_never_redirects_off_site(client: FlaskClient, users, target: str) -> None:
    user = users("filer")
    resp = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": "password-123"}
    )
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == "/"
    assert not is_local_path(target)


def test_login_keeps_a_local_next(client: FlaskClient, users) -> None:
    user = users("filer")
    resp = client.post(
        "/login",
        query_string={"next": "/notices/?page=2"},
        data={"email": user.email, "password": "password-123"},
    )
    assert resp.headers["Location"].endswith("/notices/?page=2")


# --- deny by default -------------------------------------------------------------------------------------


def test_every_real_route_has_a_rule(app: Flask) -> None:
    assert unguarded_endpoints(app) == []


def test_a_new_route_without_a_rule_is_caught_and_refused(tmp_path: Path) -> None:
    probe = _fresh_app(tmp_path)

    @probe.route("/forgotten-report")
    def forgotten_report() -> str:
        return "every filer's phone number"

    @probe.route("/declared-report")
    @allow("admin")
    def declared_report() -> str:
        return "ok"

    assert unguarded_endpoints(probe) == ["forgotten_report"]
    client = probe.test_client()
    assert client.get("/forgotten-report").status_code == 403
    with probe.app_context():
        from notices_app.services.accounts import create_user

        admin = create_user("root@example.cn", "password-123", "admin")
        sign_in(client, admin.id)
    assert client.get("/forgotten-report").status_code == 403  # not even for an admin
    assert client.get("/declared-report").status_code == 200


def test_request_bodies_over_the_limit_are_refused(app: Flask, users) -> None:
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    client = app.test_client()
    assert (
        client.post("/login", data=big, content_type="application/x-www-form-urlencoded").status_code == 413
    )
    resp = client.post(
        "/api/v1/notices", data=big, content_type="application/json", headers=api_headers(users())
    )
    assert resp.status_code == 413 and "errors" in resp.get_json()


@pytest.mark.parametrize("huge", [2**31, 2**63, 2**70])
def test_ids_beyond_the_database_integer_are_not_found(client: FlaskClient, users, huge: int) -> None:
    login(client, users("filer"))
    assert client.get(f"/notices/{huge}").status_code == 404
    resp = client.get(f"/api/v1/notices/{huge}", headers=api_headers(users("filer")))
    assert resp.status_code == 404 and resp.get_json()["errors"]


def test_nul_never_reaches_a_query(client: FlaskClient, users) -> None:
    """PostgreSQL refuses text holding NUL: in a URL it finds nothing, in a query string it goes."""
    login(client, users("editor"))
    assert client.get("/ads/orders/A%00B").status_code == 404
    assert client.get("/desk/", query_string={"status": "\x00", "kind": "ter\x00mination"}).status_code == 200
    resp = client.get(
        "/api/v1/editions", query_string={"from": "2026-11-\x0030"}, headers=api_headers(users())
    )
    assert resp.status_code == 200 and resp.get_json()["editions"][0]["date"] >= "2026-11-30"
    with client.application.test_request_context("/?q=a%00b&%00=c"):
        assert dict(flask.request.args) == {"q": "ab", "": "c"}


# --- every object query is scoped to its owner -------------------------------------------------------------

# URL arguments that do not name an object someone owns (or name one through the caller itself).
NOT_OBJECTS = {
    "kind",
    "action",
    "fmt",
    "day",
    "month",
    "number",
    "page",
    "slot_type",
    "index",
    "item",
    "token",
}
# Arguments naming objects an organisation owns (the world's values point at the world's own).
OWNED = {"notice_id", "booking_id", "reference", "order_ref", "job_id"}


def _fingerprint() -> list[tuple[Any, ...]]:
    """The owned objects' rows and the audit log's size: what a refused request must not change."""
    with db.engine.connect() as conn:
        rows: list[tuple[Any, ...]] = []
        for model in (Notice, AdBooking, Payment):
            table = model.__table__
            rows += [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
        rows.append((conn.scalar(sa.select(sa.func.count()).select_from(NoticeEvent)),))
    return rows


def test_another_organisation_gets_404_for_every_owned_object(app: Flask) -> None:
    from notices_app.services.accounts import create_user

    world: World = build_world()
    strangers = {
        role: create_user(f"{role}-stranger@example.cn", "password-123", role, "别家旅行社")
        for role in ("filer", "advertiser")
    }
    unknown: list[str] = []
    wrong: list[str] = []
    owner_saw: dict[str, bool] = {arg: False for arg in OWNED}
    for route in routes(app):
        if route.public:
            continue
        objects = set(route.rule.arguments) - NOT_OBJECTS
        roles = [r for r in route.roles() if r not in STAFF]
        if not objects or not roles:
            continue
        if objects - OWNED:
            unknown.append(f"{route.endpoint}: {sorted(objects - OWNED)}")
            continue
        path = fill(app, route.rule, world.values_for(route.endpoint))
        for method in route.methods:
            for role in roles:
                client = app.test_client()
                headers = {}
                if route.is_api:
                    headers = api_headers(strangers[role])
                else:
                    sign_in(client, strangers[role].id)
                before = _fingerprint()
                resp = client.open(path, method=method, headers=headers)
                resp.close()
                if resp.status_code != 404:
                    wrong.append(f"{method} {path} as another {role}: {resp.status_code}")
                if _fingerprint() != before:
                    wrong.append(f"{method} {path} as another {role} changed data")
        if "GET" in route.methods:
            owner = roles[0]
            client = app.test_client()
            headers = world.api_headers(owner) if route.is_api else {}
            sign_in(client, world.user_id(owner))
            with client.get(path, headers=headers) as resp:
                seen = resp.status_code == 200
            if seen:
                for arg in objects:
                    owner_saw[arg] = True
    assert unknown == [], (
        "routes with arguments this test cannot give an owned object for: add them to OWNED (with a "
        f"value in routewalk.build_world) or NOT_OBJECTS: {unknown}"
    )
    assert wrong == []
    # The 404s are about ownership, not bad ids: each kind of object is visible to its owner.
    assert owner_saw == {arg: True for arg in OWNED}
