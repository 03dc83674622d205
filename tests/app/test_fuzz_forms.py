"""Hostile input through every browser form: no 500, nothing garbled stored, errors said clearly.

The forms are found, not listed: every page the seeded world can render is parsed for <form>s,
and each POST endpoint of `app.url_map` is fuzzed with its form's fields (a POST endpoint with no
form on any page gets every field name the app's forms use). Example counts follow the
Hypothesis profile (tests/conftest.py): 1,000 per endpoint in CI.

One seeded world serves the whole module (seeding takes seconds; the fuzzing only needs "some
state", never a particular one), so endpoints that destroy things run last.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hostileinput import QUERY_NAMES, hostile_text, huge_text
from hypothesis import given, settings
from hypothesis import strategies as st
from routewalk import (
    Form,
    World,
    build_world,
    cheap_password_hashing,
    discover_forms,
    fast_commits,
    fill,
    no_new_garbage,
    routes,
    sign_in,
    wipe_database,
)
from sqlalchemy import func, select

from notices_app.extensions import db
from notices_app.models import User

# Small files for upload fields: junk, a truncated PNG, text pretending to be a JPEG.
upload = st.tuples(
    st.one_of(
        st.binary(max_size=300),
        st.just(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        st.just(b"\xff\xd8\xff\xe0" + b"0" * 50),
    ),
    st.sampled_from(["a.png", "b.jpg", "../../etc/passwd", "x\x00.png", "稿件.txt", ""]),
)
# Endpoints fed by script rather than a <form>: they get the fields of the form that feeds them.
FED_BY = {"submit.live": ("submit.new", "POST")}
# Input-free buttons that rebuild or publish a whole edition: a thousand examples of their
# (absent) fields would only time the PDF renderer.
HEAVY_ACTIONS = {"editions.rebuild", "publish.publish"}
# These end or remove what other endpoints work on, so they run after the rest.
DESTRUCTIVE = {
    "auth.logout",
    "bookings.cancel",
    "editions.cancel_ad",
    "editions.delete_story",
    "publish.publish",
    "submit.act",
}
# Forms that must name what is wrong when they are shown again.
FIELD_ERROR_FORMS = {"auth.login", "auth.signup", "auth.password", "submit.new", "submit.edit"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from notices_app import create_app

    if "post_endpoint" in metafunc.fixturenames:
        throwaway = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        found = {
            (r.endpoint, m)
            for r in routes(throwaway)
            for m in r.methods
            if m != "GET" and not r.is_api and r.endpoint != "billing.stripe_webhook"
        }
        params = sorted(found, key=lambda em: (em[0] in DESTRUCTIVE, em))
        metafunc.parametrize("post_endpoint", params, ids=[f"{e}:{m}" for e, m in params])
    if "get_endpoint" in metafunc.fixturenames:
        throwaway = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        pages = sorted({r.endpoint for r in routes(throwaway) if "GET" in r.methods and not r.is_api})
        metafunc.parametrize("get_endpoint", pages)


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[tuple[World, dict[tuple[str, str], Form]]]:
    ctx = app.app_context()
    ctx.push()
    try:
        with fast_commits(), cheap_password_hashing():
            w = build_world()
            yield w, discover_forms(app, w)
            wipe_database()
    finally:
        ctx.pop()


@pytest.fixture(autouse=True)
def _clean_db(world: Any) -> Iterator[None]:
    """Overrides tests/app/conftest.py: the module's world lives until its last test."""
    yield
    db.session.rollback()


def _form_for(app: Flask, w: World, forms: dict[tuple[str, str], Form], endpoint: str, method: str) -> Form:
    source = FED_BY.get(endpoint, (endpoint, method))
    form = forms.get(source)
    route = next(r for r in routes(app) if r.endpoint == endpoint)
    if form is None:
        names = sorted({n for f in forms.values() for n in f.editable} | {"reason", "amount", "method"})
        form = Form(action=fill(app, route.rule, w.values_for(endpoint)), method=method)
        for name in names:
            form.fields[name] = [""]
            form.editable.add(name)
    elif source != (endpoint, method):
        form = Form(
            action=fill(app, route.rule, w.values_for(endpoint)),
            method=method,
            fields=form.fields,
            editable=form.editable,
            files=form.files,
        )
    return form


@st.composite
def form_data(draw: st.DrawFn, form: Form) -> dict[str, Any]:
    """Each field omitted, given one of the page's own values, or given hostile text (sometimes
    several times); now and then a field the form never had; files for upload fields."""
    data: dict[str, Any] = {}
    for name, offered in form.fields.items():
        if name == "csrf_token":
            continue
        choice = draw(st.integers(0, 3))
        if choice == 0:
            continue
        if choice == 1 and offered:
            data[name] = draw(st.sampled_from(offered))
        elif choice == 2:
            data[name] = draw(st.lists(hostile_text, min_size=1, max_size=3))
        else:
            data[name] = draw(hostile_text)
    for name in sorted(form.files):
        if draw(st.booleans()):
            content, filename = draw(upload)
            data[name] = (io.BytesIO(content), filename)
    editable = sorted(form.editable)
    if editable and draw(st.integers(0, 9)) == 0:
        data[draw(st.sampled_from(editable))] = draw(huge_text)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(min_size=1, max_size=12))] = draw(hostile_text)
    return data


def test_every_form_survives_hostile_input(
    app: Flask, world: tuple[World, dict[tuple[str, str], Form]], post_endpoint: tuple[str, str]
) -> None:
    w, forms = world
    endpoint, method = post_endpoint
    form = _form_for(app, w, forms, endpoint, method)
    route = next(r for r in routes(app) if r.endpoint == endpoint)
    user_id = w.user_id(route.caller())
    client = app.test_client()
    unclear: list[str] = []

    @settings(max_examples=2 if endpoint in HEAVY_ACTIONS else settings().max_examples)
    @given(data=form_data(form))
    def post(data: dict[str, Any]) -> None:
        sign_in(client, user_id)
        with client.open(form.action, method=method, data=data) as resp:  # closes served files
            assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
            shown_again = resp.status_code == 200 and resp.mimetype == "text/html"
            if (
                endpoint in FIELD_ERROR_FORMS
                and shown_again
                and 'class="errors"' not in resp.get_data(as_text=True)
            ):
                unclear.append(repr(data)[:300])

    with no_new_garbage(), cheap_password_hashing():
        post()
    assert not unclear, f"{endpoint} shown again without a field error for {unclear[:3]}"


def test_every_page_survives_hostile_query_strings(
    app: Flask, world: tuple[World, dict[tuple[str, str], Form]], get_endpoint: str
) -> None:
    """GET forms (filters, search) get the profile's full count with their own fields; any other
    page gets a twentieth of it with the query names the app reads, in case it reads them."""
    w, forms = world
    route = next(r for r in routes(app) if r.endpoint == get_endpoint)
    form = forms.get((get_endpoint, "GET"))
    if form is None:
        form = Form(action=fill(app, route.rule, w.values_for(get_endpoint)), method="GET")
        examples = max(5, settings().max_examples // 20)
    else:
        examples = settings().max_examples
    for name in QUERY_NAMES:
        form.fields.setdefault(name, [""])
    user_id = w.user_id(route.caller())
    client = app.test_client()

    @settings(max_examples=examples)
    @given(query=form_data(form))
    def get(query: dict[str, Any]) -> None:
        sign_in(client, user_id)
        with client.get(form.action.split("?", 1)[0], query_string=query) as resp:  # closes served files
            assert resp.status_code < 500, resp.get_data(as_text=True)[:300]

    with no_new_garbage(), cheap_password_hashing():
        get()


# --- the account forms, field by field -----------------------------------------------------------


def test_login_garbage_never_logs_in_and_says_why(
    app: Flask, world: tuple[World, dict[tuple[str, str], Form]]
) -> None:
    client = app.test_client()

    @given(email=hostile_text, password=hostile_text)
    def attempt(email: str, password: str) -> None:
        resp = client.post("/login", data={"email": email, "password": password})
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert "邮箱或密码不正确" in html or "请填写" in html

    with cheap_password_hashing():
        attempt()


def test_signup_stores_only_clean_accounts(
    app: Flask, world: tuple[World, dict[tuple[str, str], Form]]
) -> None:
    fields = ("org_name", "credit_code", "contact_name", "contact_phone", "email", "password")

    @given(values=st.tuples(*[hostile_text] * len(fields)))
    def attempt(values: tuple[str, ...]) -> None:
        client = app.test_client()
        before = db.session.scalar(select(func.count()).select_from(User))
        resp = client.post("/signup", data=dict(zip(fields, values, strict=True)))
        assert resp.status_code in (200, 302)
        after = db.session.scalar(select(func.count()).select_from(User))
        if resp.status_code == 200:
            assert after == before
            assert 'class="errors"' in resp.get_data(as_text=True)
        else:
            assert after == before + 1

    with no_new_garbage(), cheap_password_hashing():
        attempt()
