"""Walking the app for the security and fuzz tests (a unique module name: test folders share one
import path): every route with the roles that may call it, URLs filled with real objects of a
seeded world, the forms found on rendered pages, a quick sign-in, and a scan of the database
for stored garbage. Everything is derived from `app.url_map`, so new routes are covered too."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule

from notices_app.extensions import db
from notices_app.models import Base, User
from notices_app.web.access import ANY_USER, PUBLIC

ROLES = ("filer", "advertiser", "editor", "admin")
STAFF = frozenset({"editor", "admin"})
# Invisible characters clean_text() strips: stored, they would print as nothing or as a box.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad")


@dataclass(frozen=True)
class Route:
    """One URL rule with its access rule (`access` as declared by @allow)."""

    endpoint: str
    rule: Rule
    methods: tuple[str, ...]
    access: frozenset[str]

    @property
    def is_api(self) -> bool:
        return self.rule.rule.startswith("/api/")

    @property
    def public(self) -> bool:
        return PUBLIC in self.access

    def roles(self) -> list[str]:
        """The signed-in roles the rule lets in."""
        if ANY_USER in self.access:
            return list(ROLES)
        return [r for r in ROLES if r in self.access]

    def caller(self) -> str | None:
        """The least privileged role that may call the route (None: anonymous, for public ones)."""
        if self.public:
            return None
        roles = self.roles()
        return roles[0] if roles else None


def routes(app: Flask) -> list[Route]:
    """Every route but static files, in URL order."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        access = frozenset(getattr(view, "_access", frozenset()))
        methods = tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        out.append(Route(rule.endpoint, rule, methods, access))
    return out


def fill(app: Flask, rule: Rule, values: dict[str, Any]) -> str:
    """The rule's URL with `values` by argument name; anything else gets a harmless default."""
    args: dict[str, Any] = {}
    for arg in rule.arguments:
        conv = rule._converters[arg]
        if arg in values:
            args[arg] = values[arg]
        elif hasattr(conv, "items"):
            args[arg] = sorted(conv.items)[0]
        elif isinstance(conv, IntegerConverter):
            args[arg] = 1
        else:
            args[arg] = "x"
    return rule.build(args, append_unknown=False)[1]  # type: ignore[index]


def endpoint_of(app: Flask, path: str, method: str) -> str | None:
    """The endpoint serving `method path`, or None."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.split("?", 1)[0], method=method)
    except HTTPException:
        return None
    return str(endpoint)


# --- signing in ---------------------------------------------------------------------------------


def sign_in(client: FlaskClient, user_id: int | None) -> None:
    """Put the user in the client's session as login_user() would, without a password check
    (scrypt costs ~50 ms; fuzzing signs in before every example). None signs out."""
    with client.session_transaction() as session:
        session.clear()
        if user_id is not None:
            user = db.session.get(User, user_id)
            assert user is not None
            db.session.refresh(user)  # the session version may have moved (logout, password)
            session["_user_id"] = user.get_id()
            session["_fresh"] = True


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Scrypt at test strength while fuzzing: sign-up and log-in examples would otherwise spend
    ~50 ms each hashing, which tests nothing about their input handling."""
    from werkzeug.security import generate_password_hash

    from notices_app.services import accounts

    def cheap(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return generate_password_hash(password, "scrypt:1024:8:1", salt_length)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "generate_password_hash", cheap)
        mp.setattr(accounts, "_DUMMY_HASH", cheap("not-a-real-password"))
        yield


def _synchronous(dbapi_connection: Any, off: bool) -> None:
    import sqlite3

    if dbapi_connection is None:  # invalidated on its way back to the pool
        return
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA synchronous = {'OFF' if off else 'FULL'}")
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off" if off else "RESET synchronous_commit")
    dbapi_connection.commit()  # psycopg opened a transaction for the SET; the pool wants it idle


def _fsync_off(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    _synchronous(dbapi_connection, off=True)


def _fsync_on(dbapi_connection: Any, connection_record: Any) -> None:
    _synchronous(dbapi_connection, off=False)


@contextmanager
def fast_commits() -> Iterator[None]:
    """Commits without waiting for the disk while fuzzing: a throwaway test database needs no
    durability, and an fsync (~25 ms on a VM disk) per commit could dominate every example.
    Set on each connection as it leaves the pool and undone as it returns, so no connection
    keeps the setting and none is discarded (a discarded psycopg connection warns when freed)."""
    engine = db.engine
    db.session.remove()
    sa.event.listen(engine, "checkout", _fsync_off)
    sa.event.listen(engine, "checkin", _fsync_on)
    try:
        yield
    finally:
        db.session.remove()
        sa.event.remove(engine, "checkout", _fsync_off)
        sa.event.remove(engine, "checkin", _fsync_on)


def wipe_database() -> None:
    """Empty every table, as tests/app/conftest.py does after each test."""
    from notices_app.models import Edition

    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        # edition.current_build_id and edition_build.edition_id point at each other.
        conn.execute(sa.update(Edition).values(current_build_id=None, published_build_id=None))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


# --- the seeded world ---------------------------------------------------------------------------


@dataclass
class World:
    """The demo data plus an online ad booking: a user id per role and real objects by argument
    name (ids, not ORM objects: a world outlives the session that loaded it)."""

    user_ids: dict[str, int]
    values: dict[str, Any]
    per_endpoint: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def user_id(self, role: str | None) -> int | None:
        return None if role is None else self.user_ids[role]

    def user(self, role: str) -> User:
        user = db.session.get(User, self.user_ids[role])
        assert user is not None
        return user

    def values_for(self, endpoint: str) -> dict[str, Any]:
        return {**self.values, **self.per_endpoint.get(endpoint, {})}

    def api_headers(self, role: str | None) -> dict[str, str]:
        if role is None:
            return {}
        if role not in self.tokens:
            from notices_app.services.accounts import create_token

            self.tokens[role] = create_token(self.user(role))
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def build_world() -> World:
    """Seed the demo (publication, editions, stories, notices in several states, one account per
    role) and hold an ad slot for the advertiser; values point at objects the role's user owns."""
    from sqlalchemy import select

    from notices_app.models import Edition, Notice, Payment, Story, utcnow
    from notices_app.services import bookings, demo
    from notices_app.services.accounts import find_user
    from notices_app.services.notices import current_publication, publication_calendar

    demo.seed()
    users: dict[str, User] = {}
    for role, email, *_ in demo.DEMO_ACCOUNTS:
        user = find_user(email)
        assert user is not None
        if role == "filer" and email != "coop@demo.cn":
            continue  # the co-operative has a notice awaiting payment: the richer filer
        users[role] = user
    pub = current_publication()
    cal = publication_calendar(pub)
    run = cal.first_open_date(utcnow())
    ad_day = cal.publishing_dates(run, 8)[-1]
    ed = db.session.scalar(select(Edition).where(Edition.publication_id == pub.id, Edition.date == ad_day))
    if ed is None:
        ed = Edition(publication_id=pub.id, date=ad_day, page_count=4)
        db.session.add(ed)
    else:
        ed.page_count = 4
    db.session.commit()
    ad = bookings.TemplateAd(title="周末游", headline="周末特惠")
    order = bookings.hold(users["advertiser"], [ad_day], "band", 2, 0, template=ad)
    filer = users["filer"]
    notice = db.session.scalar(select(Notice).where(Notice.org_id == filer.org_id).order_by(Notice.id.desc()))
    assert notice is not None
    payment = db.session.scalar(select(Payment).where(Payment.org_id == filer.org_id).order_by(Payment.id))
    story = db.session.scalar(select(Story).order_by(Story.id))
    assert payment is not None and story is not None
    from notices_app.jobs import records

    job, _ = records.ask(
        "preview", f"preview:world:{notice.id}", notice_id=notice.id, requested_by_id=filer.id
    )
    db.session.commit()
    values: dict[str, Any] = {
        "job_id": job.id,
        "notice_id": notice.id,
        "kind": notice.kind,
        "reference": payment.reference,
        "order_ref": order.order_ref,
        "booking_id": order.bookings[0].id,
        "story_id": story.id,
        "ident": story.id,
        "item": "story",
        "day": run.isoformat(),
        "month": date.today().strftime("%Y-%m"),
        "number": 1,
        "page": 1,
        "fmt": "pdf",
    }
    per_endpoint = {
        "bookings.book": {"day": ad_day.isoformat(), "page": 2, "slot_type": "quarter", "index": 1},
        "bookings.edition": {"day": ad_day.isoformat()},
        "editions.cancel_ad": {"day": ad_day.isoformat()},
    }
    return World({role: u.id for role, u in users.items()}, values, per_endpoint)


# --- forms on rendered pages -----------------------------------------------------------------------


@dataclass
class Form:
    """A form as rendered: where it posts, and its fields with the values the page offers."""

    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name → offered values
    editable: set[str] = field(default_factory=set)  # text the user types (not hidden/choices)
    files: set[str] = field(default_factory=set)
    multipart: bool = False


class _FormParser(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action") or self.page_path,
                method=(a.get("method") or "get").upper(),
                multipart=a.get("enctype", "") == "multipart/form-data",
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.files.add(name)
                return
            if kind in ("submit", "button", "image", "reset"):
                form.fields.setdefault(name, []).append(a.get("value", ""))
                return
            form.fields.setdefault(name, []).append(a.get("value", "" if kind != "checkbox" else "y"))
            if kind not in ("hidden", "checkbox", "radio"):
                form.editable.add(name)
        elif tag == "textarea" and name:
            form.fields.setdefault(name, [])
            form.editable.add(name)
            self._textarea = name
        elif tag == "select" and name:
            form.fields.setdefault(name, [])
            self._select = name
        elif tag == "option" and self._select:
            form.fields[self._select].append(a.get("value", ""))
        elif tag == "button" and name:
            form.fields.setdefault(name, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea and data.strip():
            self._form.fields[self._textarea].append(data)


def forms_on(html: str, page_path: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


def discover_forms(app: Flask, world: World) -> dict[tuple[str, str], Form]:
    """(endpoint, method) → the richest form posting to it on any page its caller can open."""
    found: dict[tuple[str, str], Form] = {}
    for route in routes(app):
        if "GET" not in route.methods or route.is_api:
            continue
        role = route.caller()
        if role is None and not route.public:
            continue
        client = app.test_client()
        sign_in(client, world.user_id(role))
        path = fill(app, route.rule, world.values_for(route.endpoint))
        resp = client.get(path)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        for form in forms_on(resp.get_data(as_text=True), path):
            endpoint = endpoint_of(app, form.action, form.method)
            if endpoint is None:
                continue
            key = (endpoint, form.method)
            if key not in found or len(form.fields) > len(found[key].fields):
                found[key] = form
    return found


# --- stored garbage ----------------------------------------------------------------------------------


def bad_char(ch: str) -> bool:
    """A character no stored text should hold (clean_text removes them on the way in)."""
    if ch == "\n":
        return False
    return ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def stored_garbage(limit: int | None = None) -> list[str]:
    """Text in any table (string and JSON columns) holding control, invisible, private-use or
    unassigned characters: each as `table.column #id: repr` (at most `limit` of them)."""
    found: list[str] = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
            if not cols:
                continue
            pk = next(iter(table.primary_key.columns), None)
            rows = conn.execute(sa.select(*([pk] if pk is not None else []), *cols)).all()
            for row in rows:
                values = row[1:] if pk is not None else row
                for col, value in zip(cols, values, strict=True):
                    for s in _strings(value):
                        if any(bad_char(ch) for ch in s):
                            found.append(
                                f"{table.name}.{col.name} #{row[0] if pk is not None else '?'}: {s[:80]!r}"
                            )
                            if limit is not None and len(found) >= limit:
                                return found
    return found


@contextmanager
def no_new_garbage() -> Iterator[None]:
    """Fail if the block stores garbage (see stored_garbage) that was not there before it."""
    before = set(stored_garbage())
    yield
    db.session.rollback()
    new = sorted(set(stored_garbage()) - before)
    assert new == [], f"stored garbage: {new[:5]}"
