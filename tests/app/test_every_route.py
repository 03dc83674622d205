"""Every route × every role: the access rule decides, never a 500; rate card editing; API fuzz."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apphelpers import api_headers, login
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from notices_app.extensions import db
from notices_app.models import Notice
from notices_app.services import bookings, payments
from notices_app.services import notices as svc
from notices_app.web.access import ANY_USER, PUBLIC, rule_for

ROLES = (None, "filer", "advertiser", "editor", "admin")


def _concrete_paths(
    app: Flask, notice_id: int, known: dict[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every route, with arguments filled in (`known`: real values
    by argument name, e.g. a payment reference)."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values: dict[str, Any] = {}
        for arg in rule.arguments:
            conv = rule._converters[arg]
            if arg == "notice_id":
                values[arg] = notice_id
            elif known and arg in known:
                values[arg] = known[arg]
            elif arg == "kind":
                values[arg] = "termination"
            elif hasattr(conv, "items"):
                values[arg] = sorted(conv.items)[0]
            elif isinstance(conv, IntegerConverter):
                values[arg] = 1
            else:
                values[arg] = "x"
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, path))
    return out


def _ad_day(pub: Any) -> list[Any]:
    from notices_app.models import utcnow
    from notices_app.services.notices import publication_calendar

    cal = publication_calendar(pub)
    return cal.publishing_dates(cal.first_open_date(utcnow()), 6)[-1:]


def test_every_route_for_every_role(app: Flask, users, pub, seed_fields) -> None:
    owner = users("filer", org="中航钛业有限公司")
    notice = svc.create_notice(owner, svc.NoticeInput("termination", seed_fields["termination"], [], True))
    accounts = {role: users(role, org="中航钛业有限公司") if role else None for role in ROLES}
    payment = payments.open_payment(
        purpose="notice",
        amount_fen=4500,
        org_id=owner.org_id,
        user_id=owner.id,
        description="#",
        notice_id=notice.id,
    )
    db.session.commit()
    known = {"reference": payment.reference, "month": payment.created_at.strftime("%Y-%m")}
    # An ad order of the advertiser's, so /ads/orders/… and /ads/bookings/<id>/… reach a real one.
    order = bookings.hold(
        accounts["advertiser"], _ad_day(pub), "band", 2, 0, template=bookings.TemplateAd("广告", "周末特惠")
    )
    known.update(order_ref=order.order_ref, booking_id=order.bookings[0].id)
    checked = 0
    for endpoint, method, path in _concrete_paths(app, notice.id, known):
        with app.test_request_context():
            rule = rule_for(endpoint)
        assert rule is not None, endpoint
        for role, user in accounts.items():
            client = app.test_client()
            headers = {}
            if user is not None:
                if path.startswith("/api/"):
                    headers = api_headers(user)
                else:
                    login(client, user)
            resp = client.open(path, method=method, headers=headers, data={})
            allowed = PUBLIC in rule or (user is not None and (ANY_USER in rule or user.role in rule))
            assert resp.status_code < 500, (method, path, role)
            if allowed:
                assert resp.status_code not in (401, 403), (method, path, role, resp.status_code)
            elif user is None:
                assert resp.status_code in (302, 401), (method, path, role, resp.status_code)
            else:
                assert resp.status_code == 403, (method, path, role, resp.status_code)
            checked += 1
    assert checked > 100


def test_admin_edits_the_rate_card_and_bad_cards_change_nothing(client: FlaskClient, users, pub) -> None:
    login(client, users("admin"))
    card = dict(pub.rate_card)
    before = json.dumps(card, sort_keys=True)
    resp = client.post("/admin/rate-card", data={"rate_card": '{"version": 1'})
    assert resp.status_code == 200 and "价目表无效" in resp.get_data(as_text=True)
    db.session.refresh(pub)
    assert json.dumps(pub.rate_card, sort_keys=True) == before
    card["version"] = "2026-new"
    resp = client.post("/admin/rate-card", data={"rate_card": json.dumps(card, ensure_ascii=False)})
    assert resp.status_code == 302
    db.session.refresh(pub)
    assert pub.rate_card["version"] == "2026-new"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = [
    "org_name",
    "credit_code",
    "reg_number",
    "employees",
    "service_attempts",
    "title",
    "body",
    "signed_on",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["lost_license", "termination", "general", "bogus"]),
    fields=st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), json_values, max_size=6),
    runs=st.lists(st.text(max_size=12) | st.dates().map(str), max_size=3) | json_values,
)
def test_api_create_never_500s_and_bad_input_stores_nothing(
    client: FlaskClient, users, pub, kind: str, fields: dict[str, Any], runs: Any
) -> None:
    headers = getattr(test_api_create_never_500s_and_bad_input_stores_nothing, "_headers", None)
    if headers is None:
        headers = api_headers(users("filer"))
        test_api_create_never_500s_and_bad_input_stores_nothing._headers = headers  # type: ignore[attr-defined]
    before = db.session.query(Notice).count()
    resp = client.post(
        "/api/v1/notices", headers=headers, json={"kind": kind, "fields": fields, "run_dates": runs}
    )
    assert resp.status_code in (201, 422), resp.get_data(as_text=True)[:500]
    if resp.status_code == 422:
        assert db.session.query(Notice).count() == before
        assert resp.get_json()["errors"]


@pytest.fixture(autouse=True)
def _reset_fuzz_headers() -> None:
    test_api_create_never_500s_and_bad_input_stores_nothing.__dict__.pop("_headers", None)
