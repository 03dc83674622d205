"""The OpenAPI document, fuzzed by Schemathesis against the app serving it.

The schema is fetched from the app's own /api/v1/openapi.json and every operation gets schema-
valid and schema-invalid requests (half of them aimed at the caller's real notices), each
response checked against the document: no 5xx, documented status codes, content types and
bodies, invalid input refused (ST201) and valid input accepted (ST202). A notice's `fields` are
described per kind (required fields, lengths, choices, date formats), yet some rules no JSON
Schema can state: check characters of codes, "not after today", glyphs the print fonts have,
what a stored notice needs before it is submitted. Those operations may answer a valid-looking
request with a documented 422 (OPERATION_CONFIG); for the query endpoints the rules between two
arguments (`to` not before `from`) are checked here instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from routewalk import World, build_world, cheap_password_hashing, fast_commits, no_new_garbage, wipe_database
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from notices_app.extensions import db
from notices_app.web.openapi import EDITIONS_MAX_DAYS, openapi_document

# Schemathesis examples are whole request/response validations: a tenth of the profile's count
# (100 per operation in CI, 1,000 with HYPOTHESIS_PROFILE=long).
EXAMPLES = max(10, settings().max_examples // 10)
EDITOR_ONLY = ("/approve", "/reject", "/request_changes")
ACCEPTED = '"2xx", "401", "403", "404", "409", "429"'
OPERATION_CONFIG = f"""
[[operations]]
include-name = "POST /api/v1/notices"
checks.positive_data_acceptance.expected-statuses = [{ACCEPTED}, "422"]

[[operations]]
include-name = "POST /api/v1/notices/{{notice_id}}/submit"
checks.positive_data_acceptance.expected-statuses = [{ACCEPTED}, "422"]
"""


def _labels() -> list[str]:
    schema = schemathesis.openapi.from_dict(openapi_document())
    return sorted(result.ok().label for result in schema.get_all_operations())


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


@pytest.fixture(scope="module")
def live_schema(app: Flask, world: World) -> Any:
    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, config=SchemathesisConfig.from_str(OPERATION_CONFIG)
    )


def _breaks_a_rule_between_arguments(case: Any) -> bool:
    """A schema-valid query that a rule between two arguments refuses (to before from, or
    more than a year of editions): the one kind of valid-looking query allowed a 422."""
    query = case.query or {}
    try:
        start = date.fromisoformat(str(query.get("from") or date.today()))
        end = date.fromisoformat(str(query["to"])) if query.get("to") else None
    except ValueError:
        return False
    if case.operation.path == "/api/v1/editions":
        return end is not None and (end < start or (end - start).days > EDITIONS_MAX_DAYS)
    return end is not None and bool(query.get("from")) and end < start


@pytest.mark.parametrize("label", _labels())
def test_operation_conforms_to_the_document(app: Flask, world: World, live_schema: Any, label: str) -> None:
    operation = next((r.ok() for r in live_schema.get_all_operations() if r.ok().label == label), None)
    if operation is None:
        pytest.skip("Schemathesis does not fuzz the URL its schema came from")
    role = "editor" if label.endswith(EDITOR_ONLY) else "filer"
    headers = world.api_headers(role)
    real_notice = world.values["notice_id"]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @settings(max_examples=EXAMPLES)
    @given(case=cases, aim=st.booleans())
    def check(case: Any, aim: bool) -> None:
        meta = case.meta
        # A case made invalid in its path or headers (e.g. without the Authorization header) must
        # stay invalid: only valid ones are aimed at a real notice and given the caller's token.
        bad_path = meta is not None and meta.is_negative_at(ParameterLocation.PATH)
        bad_headers = meta is not None and meta.is_negative_at(ParameterLocation.HEADER)
        if aim and not bad_path and "notice_id" in (case.path_parameters or {}):
            case.path_parameters["notice_id"] = real_notice
        excluded = [positive_data_acceptance] if _breaks_a_rule_between_arguments(case) else []
        case.call_and_validate(headers=None if bad_headers else headers, excluded_checks=excluded)

    with no_new_garbage(), cheap_password_hashing():
        check()


# --- what the fuzzing above does not reach -----------------------------------------------------------

UNDECLARED = ("get", "post", "put", "patch", "delete")


def test_every_undeclared_method_is_a_405_with_allow(app: Flask, world: World) -> None:
    """RFC 9110: a 405 lists the methods that work (Schemathesis' ST204). Werkzeug knows them;
    the JSON and HTML error pages must pass its header on."""
    document = openapi_document()
    client = app.test_client()
    headers = world.api_headers("editor")
    for template, operations in document["paths"].items():
        path = template.replace("{notice_id}", str(world.values["notice_id"]))
        declared = {m.upper() for m in operations}
        for method in UNDECLARED:
            if method.upper() in declared:
                continue
            resp = client.open(path, method=method.upper(), headers=headers)
            assert resp.status_code == 405, (method, path)
            allowed = {m.strip() for m in resp.headers.get("Allow", "").split(",") if m.strip()}
            assert allowed - {"HEAD", "OPTIONS"} == declared, (method, path, resp.headers.get("Allow"))
            assert resp.mimetype == "application/json" and resp.get_json()["errors"]
    page = client.put("/search")
    assert page.status_code == 405 and page.headers["Allow"] and page.mimetype == "text/html"


def test_each_kind_states_the_fields_its_form_requires(app: Flask, world: World) -> None:
    """The per-kind schema is read from the form class: the demo's fields for each kind fit it,
    and leaving out any field it calls required is a 422 naming that field."""
    from jsonschema_rs import validator_for

    from notices_app.forms import NOTICE_FORMS
    from notices_app.services.demo import lost_license_fields, termination_fields

    document = openapi_document()
    schemas = document["components"]["schemas"]
    assert set(schemas["NoticeInput"]["discriminator"]["mapping"]) == set(NOTICE_FORMS)
    today = date.today()
    examples = {
        "lost_license": lost_license_fields(today),
        "termination": termination_fields(today),
        "general": {
            "title": "公告",
            "body": "本公司定于下月召开股东大会。",
            "signer": "中航钛业有限公司",
            "signed_on": today.isoformat(),
        },
    }
    assert set(examples) == set(NOTICE_FORMS), "give the new kind an example here"
    client = app.test_client()
    headers = world.api_headers("filer")
    check = validator_for({"$ref": "#/components/schemas/NoticeInput", "components": document["components"]})
    for kind, fields in examples.items():
        body = {"kind": kind, "fields": fields, "run_dates": []}
        assert check.is_valid(body), list(check.iter_errors(body))[:3]
        assert client.post("/api/v1/notices", json=body, headers=headers).status_code == 201, kind
        required = schemas[f"Fields_{kind}"]["required"]
        assert required, kind
        for name in required:
            missing = {**body, "fields": {k: v for k, v in fields.items() if k != name}}
            assert not check.is_valid(missing), (kind, name)
            resp = client.post("/api/v1/notices", json=missing, headers=headers)
            assert resp.status_code == 422 and name in resp.get_json()["errors"], (kind, name)
    # A rule between fields the document states: a lost licence needs one of its two codes.
    no_codes = {**examples["lost_license"], "credit_code": "", "reg_number": None}
    body = {"kind": "lost_license", "fields": no_codes, "run_dates": []}
    assert not check.is_valid(body)
    assert client.post("/api/v1/notices", json=body, headers=headers).status_code == 422


def test_editions_dates_are_iso_days_within_2000_to_2099(app: Flask, world: World) -> None:
    client = app.test_client()
    headers = world.api_headers("filer")
    params = openapi_document()["paths"]["/api/v1/editions"]["get"]["parameters"]
    assert all(p["schema"]["pattern"] == "^20[0-9]{2}-[0-9]{2}-[0-9]{2}$" for p in params)
    for query, code in (
        ("from=2099-12-25", 200),  # two weeks on would pass 2099: the default stops at its end
        ("from=2026-01-01&to=2026-12-31", 200),
        ("from=20260101", 422),  # Python's fromisoformat takes it; the document does not
        ("from=2026-W01-1", 422),
        ("to=2100-01-01", 422),
        ("from=2026-01-02&to=2026-01-01", 422),
        ("from=2026-01-01&to=2027-01-03", 422),
    ):
        resp = client.get(f"/api/v1/editions?{query}", headers=headers)
        assert resp.status_code == code, (query, resp.get_json())
