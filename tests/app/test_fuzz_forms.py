"""Hypothesis over the remaining forms and JSON bodies: login, sign-up, editor decisions. No 500s."""

from __future__ import annotations

from typing import Any

from apphelpers import api_headers
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices_app.extensions import db
from notices_app.models import NoticeEvent, User

texts = st.text(max_size=60)
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(email=texts, password=texts)
def test_login_never_500s(client: FlaskClient, pub, email: str, password: str) -> None:
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 200  # never logged in by garbage, never a crash


@FUZZ
@given(org=texts, code=texts, name=texts, phone=texts, email=texts, password=texts)
def test_signup_never_500s_and_stores_only_valid_accounts(
    client: FlaskClient, pub, org: str, code: str, name: str, phone: str, email: str, password: str
) -> None:
    data = {
        "org_name": org,
        "credit_code": code,
        "contact_name": name,
        "contact_phone": phone,
        "email": email,
        "password": password,
    }
    before = db.session.query(User).count()
    resp = client.post("/signup", data=data)
    assert resp.status_code in (200, 302)
    if resp.status_code == 200:
        assert db.session.query(User).count() == before
    client.post("/logout")


@FUZZ
@given(body=any_json, action=st.sampled_from(["approve", "reject", "request_changes"]))
def test_decision_bodies_never_500(client: FlaskClient, users, pub, body: Any, action: str) -> None:
    headers = api_headers(users("editor"))
    before = db.session.query(NoticeEvent).count()
    resp = client.post(f"/api/v1/notices/424242/{action}", headers=headers, json=body)
    assert resp.status_code in (404, 422)
    assert db.session.query(NoticeEvent).count() == before
