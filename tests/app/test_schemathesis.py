"""The OpenAPI document, fuzzed by Schemathesis against the app serving it.

The schema is fetched from the app's own /api/v1/openapi.json and every operation gets schema-
valid and schema-invalid requests (half of them aimed at the caller's real notices), each
response checked against the document: no 5xx, documented status codes, content types and
bodies, and invalid input refused. One check is off: `positive_data_acceptance` expects every
schema-valid body to succeed, but the document types a notice's `fields` as any object, and the
business rules (required fields, date ranges) refuse most of them with a documented 422.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from routewalk import World, build_world, cheap_password_hashing, fast_commits, no_new_garbage, wipe_database
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from notices_app.extensions import db
from notices_app.web.openapi import openapi_document

# Schemathesis examples are whole request/response validations: a tenth of the profile's count
# (100 per operation in CI, 1,000 with HYPOTHESIS_PROFILE=long).
EXAMPLES = max(10, settings().max_examples // 10)
EDITOR_ONLY = ("/approve", "/reject", "/request_changes")


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
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


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
        case.call_and_validate(
            headers=None if bad_headers else headers, excluded_checks=[positive_data_acceptance]
        )

    with no_new_garbage(), cheap_password_hashing():
        check()
