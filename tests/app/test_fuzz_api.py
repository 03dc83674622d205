"""Hostile input through every /api/ endpoint: no 500, JSON errors in one shape, nothing garbled
stored. The endpoints come from `app.url_map` (new API routes are fuzzed without being listed);
example counts follow the Hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hostileinput import QUERY_NAMES, hostile_text, huge_text
from hypothesis import given
from hypothesis import strategies as st
from routewalk import (
    Route,
    World,
    build_world,
    cheap_password_hashing,
    fast_commits,
    fill,
    no_new_garbage,
    routes,
    wipe_database,
)

from notices_app.extensions import db

texts = hostile_text | st.sampled_from(["lost_license", "termination", "general", "2026-12-01"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=6,
)
# A body shaped like a notice often enough to get past the first checks.
notice_like = st.fixed_dictionaries(
    {"kind": st.sampled_from(["lost_license", "termination", "general"]) | texts},
    optional={
        "fields": st.dictionaries(
            st.sampled_from(["org_name", "credit_code", "reg_number", "title", "body", "employees"]) | texts,
            json_values,
            max_size=6,
        )
        | json_values,
        "run_dates": st.lists(texts | st.dates().map(str), max_size=3) | json_values,
        "reason": json_values,
    },
)
ids = st.integers(min_value=0) | st.sampled_from([2**63 - 1, 2**63, 2**70])
junk_bodies = st.one_of(
    st.binary(max_size=200), st.just(b'{"kind": "termination", "fields": {'), st.just(b"\xff\xfe")
)


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    ctx = app.app_context()
    ctx.push()
    try:
        with fast_commits(), cheap_password_hashing():
            yield build_world()
            wipe_database()
    finally:
        ctx.pop()


@pytest.fixture(autouse=True)
def _clean_db(world: World) -> Iterator[None]:
    """Overrides tests/app/conftest.py: the module's world lives until its last test."""
    yield
    db.session.rollback()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "api_endpoint" in metafunc.fixturenames:
        from notices_app import create_app

        throwaway = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        params = sorted({(r.endpoint, m) for r in routes(throwaway) if r.is_api for m in r.methods})
        metafunc.parametrize("api_endpoint", params, ids=[f"{e}:{m}" for e, m in params])


@st.composite
def api_request(draw: st.DrawFn, route: Route, real: dict[str, Any]) -> dict[str, Any]:
    """Path arguments (mostly the caller's real objects, else any integer), query parameters,
    a body (JSON, notice-shaped JSON, or junk bytes), a language and sometimes a bad token."""
    values: dict[str, Any] = {}
    for arg in route.rule.arguments:
        conv = route.rule._converters[arg]
        if hasattr(conv, "items"):
            values[arg] = draw(st.sampled_from(sorted(conv.items)))
        elif arg in real and draw(st.integers(0, 3)) > 0:
            values[arg] = real[arg]
        else:
            values[arg] = draw(ids)
    query = draw(
        st.dictionaries(st.sampled_from(QUERY_NAMES) | texts, texts | st.integers().map(str), max_size=3)
    )
    kinds = ["none", "json", "json", "notice", "notice", "notice", "junk", "huge"]
    body_kind = draw(st.sampled_from(kinds)) if route.methods != ("GET",) else "none"
    body: dict[str, Any] = {}
    if body_kind == "huge":
        huge = {
            "kind": "general",
            "fields": {"title": "公告", "body": draw(huge_text)},
            "reason": draw(huge_text),
        }
        body["data"] = json.dumps(huge)
        body["content_type"] = "application/json"
    elif body_kind == "json":
        body["data"] = json.dumps(draw(json_values))
        body["content_type"] = "application/json"
    elif body_kind == "notice":
        body["data"] = json.dumps(draw(notice_like))
        body["content_type"] = "application/json"
    elif body_kind == "junk":
        body["data"] = draw(junk_bodies)
        body["content_type"] = draw(
            st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])
        )
    token = draw(st.sampled_from(["real", "real", "real", "junk", "none"]))
    lang = draw(st.sampled_from(["zh", "en", "fr", "", "zh;q=0.1, en;q=0.9"]))
    return {"values": values, "query": query, "body": body, "token": token, "lang": lang}


def _errors_shape(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("errors"), dict)
        and all(
            isinstance(v, list) and all(isinstance(m, str) for m in v) for v in payload["errors"].values()
        )
    )


def test_every_api_endpoint_survives_hostile_input(
    app: Flask, world: World, api_endpoint: tuple[str, str]
) -> None:
    endpoint, method = api_endpoint
    route = next(r for r in routes(app) if r.endpoint == endpoint)
    role = route.caller()
    real = world.values_for(endpoint)
    good = world.api_headers(role)
    client = app.test_client()

    @given(req=api_request(route, real))
    def call(req: dict[str, Any]) -> None:
        headers = {"Accept-Language": req["lang"]}
        if req["token"] == "real":
            headers.update(good)
        elif req["token"] == "junk":
            headers["Authorization"] = "Bearer ntk_" + "x" * 40
        path = fill(app, route.rule, req["values"])
        with client.open(
            path, method=method, headers=headers, query_string=req["query"], **req["body"]
        ) as resp:
            assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
            if resp.status_code >= 400:
                assert resp.mimetype == "application/json", (resp.status_code, resp.mimetype)
                assert _errors_shape(resp.get_json()), resp.get_data(as_text=True)[:300]
            elif resp.mimetype == "application/json":
                assert isinstance(resp.get_json(), dict)

    with no_new_garbage(), cheap_password_hashing():
        call()
