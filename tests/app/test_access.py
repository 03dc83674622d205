"""Deny-by-default access: every route has a rule, and each role reaches exactly what it should."""

from __future__ import annotations

import pytest
from apphelpers import api_headers, login
from flask import Flask
from flask.testing import FlaskClient

from notices_app.web.access import rule_for


def test_every_route_declares_an_access_rule(app: Flask) -> None:
    missing = []
    with app.test_request_context():
        for r in app.url_map.iter_rules():
            if rule_for(r.endpoint) is None:
                missing.append(f"{r.rule} ({r.endpoint})")
    assert missing == [], f"routes without an access rule: {missing}"


def test_a_route_without_a_rule_is_refused(app: Flask) -> None:
    # A fresh app, so the probe route does not leak into the shared one.
    from notices_app import create_app

    probe = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    probe.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert probe.test_client().get("/forgotten").status_code == 403


# (path, method, role → expected status) for representative routes of each area.
MATRIX = [
    ("/desk/", "GET", {None: 302, "filer": 403, "advertiser": 403, "editor": 200, "admin": 200}),
    ("/notices/", "GET", {None: 302, "filer": 200, "advertiser": 403, "editor": 200, "admin": 200}),
    ("/notices/new/termination", "GET", {None: 302, "filer": 200, "advertiser": 403, "editor": 200}),
    ("/login", "GET", {None: 200, "filer": 200}),
    ("/api/v1/openapi.json", "GET", {None: 200, "filer": 200}),
    ("/healthz", "GET", {None: 200}),
]


@pytest.mark.parametrize(("path", "method", "expect"), MATRIX)
def test_role_matrix_browser(client: FlaskClient, users, path: str, method: str, expect: dict) -> None:
    for role, status in expect.items():
        c = client.application.test_client()
        if role is not None:
            login(c, users(role))
        resp = c.open(path, method=method)
        assert resp.status_code == status, (path, role, resp.status_code)


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("advertiser", 403), ("filer", 403), ("editor", 404), ("admin", 404)]
)
def test_api_decisions_are_for_editors_only(
    client: FlaskClient, users, role: str | None, status: int
) -> None:
    headers = api_headers(users(role)) if role else {}
    resp = client.post("/api/v1/notices/999999/approve", headers=headers, json={})
    assert resp.status_code == status
    assert "errors" in resp.get_json()


def test_open_redirect_is_refused(client: FlaskClient, users) -> None:
    user = users("filer")
    resp = client.post("/login?next=//evil.example/x", data={"email": user.email, "password": "password-123"})
    assert resp.status_code == 302
    assert "evil.example" not in resp.headers["Location"]


def test_wrong_password_keeps_the_form_and_says_why(client: FlaskClient, users) -> None:
    user = users("filer")
    resp = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert resp.status_code == 200
    assert "邮箱或密码不正确" in resp.get_data(as_text=True)
    assert user.email in resp.get_data(as_text=True)


def test_session_version_bump_logs_out_everywhere(client: FlaskClient, users) -> None:
    from notices_app.services.accounts import revoke_sessions

    user = users("filer")
    login(client, user)
    assert client.get("/notices/").status_code == 200
    revoke_sessions(user)
    assert client.get("/notices/").status_code == 302


def test_signup_records_the_organisation_and_checks_its_credit_code(client: FlaskClient, pub) -> None:
    from notices_app.models import Organisation
    from notices_app.services.accounts import find_user

    bad = client.post(
        "/signup",
        data={
            "org_name": "淄博新材料有限公司",
            "credit_code": "914403001922038217",
            "email": "a@b.cn",
            "password": "password-1",
        },
    )
    assert bad.status_code == 200 and "统一社会信用代码" in bad.get_data(as_text=True)
    assert find_user("a@b.cn") is None
    good = client.post(
        "/signup",
        data={
            "org_name": "淄博新材料有限公司",
            "credit_code": "914403001922038216",
            "contact_name": "张三",
            "contact_phone": "0533—2173002",
            "email": "a@b.cn",
            "password": "password-1",
        },
    )
    assert good.status_code == 302
    org = find_user("a@b.cn").org
    assert (
        isinstance(org, Organisation)
        and org.credit_code == "914403001922038216"
        and org.contact_name == "张三"
    )


def test_signing_up_with_a_known_organisation_name_gives_no_access_to_it(
    client: FlaskClient, pub, users
) -> None:
    """Anyone can type a company's name: sign-up makes a new organisation, never joins one."""
    from notices_app.extensions import db
    from notices_app.services.accounts import find_user

    owner = users("filer")
    before = (owner.org.credit_code, owner.org.contact_name)
    resp = client.post(
        "/signup",
        data={
            "org_name": owner.org.name,
            "credit_code": "914403001922038216",
            "contact_name": "冒名者",
            "email": "stranger@b.cn",
            "password": "password-1",
        },
    )
    assert resp.status_code == 302
    stranger = find_user("stranger@b.cn")
    assert stranger.org_id != owner.org_id and stranger.org.name == owner.org.name
    db.session.refresh(owner.org)
    assert (owner.org.credit_code, owner.org.contact_name) == before  # the owner's record is untouched
