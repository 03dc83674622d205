"""The JSON API: create, read, submit, decide; errors as JSON in Chinese or English; scoping."""

from __future__ import annotations

from typing import Any

from apphelpers import api_headers, first_run_date
from flask.testing import FlaskClient

from notices_app.extensions import db
from notices_app.models import Notice, NoticeEvent


def _create(
    client: FlaskClient, headers: dict[str, str], kind: str, fields: dict[str, Any], runs: list[str]
) -> Any:
    return client.post(
        "/api/v1/notices", headers=headers, json={"kind": kind, "fields": fields, "run_dates": runs}
    )


def test_create_termination_returns_a_priced_draft(client: FlaskClient, users, pub, seed_fields) -> None:
    headers = api_headers(users("filer"))
    run = first_run_date(pub).isoformat()
    resp = _create(client, headers, "termination", seed_fields["termination"], [run])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft"
    assert body["price_fen"] > 0
    assert body["quote"]["total_fen"] == body["price_fen"]
    assert body["run_dates"] == [run]
    assert body["deemed_served_on"] is not None
    pdf = client.get(body["preview_pdf"], headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    png = client.get(body["preview_png"], headers=headers)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_invalid_credit_code_is_a_422_on_the_field_in_chinese_and_english(
    client: FlaskClient, users, pub, seed_fields
) -> None:
    fields = dict(seed_fields["termination"], credit_code="91370300MA3C4XYW01")
    user = users("filer")
    zh = _create(client, api_headers(user), "termination", fields, [])
    assert zh.status_code == 422
    assert "credit_code" in zh.get_json()["errors"]
    assert any("统一社会信用代码" in m for m in zh.get_json()["errors"]["credit_code"])
    en = _create(client, api_headers(user, "en"), "termination", fields, [])
    assert en.status_code == 422
    assert all(m.isascii() for m in en.get_json()["errors"]["credit_code"])
    assert db.session.query(Notice).count() == 0  # bad input changes nothing


def test_a_non_publishing_date_is_refused_with_the_reason(
    client: FlaskClient, users, pub, seed_fields
) -> None:
    resp = _create(
        client, api_headers(users("filer")), "lost_license", seed_fields["lost_license"], ["2001-01-01"]
    )
    assert resp.status_code == 422
    assert "run_dates" in resp.get_json()["errors"]


def test_other_organisations_notice_is_404_never_403(client: FlaskClient, users, pub, seed_fields) -> None:
    mine = api_headers(users("filer", org="中航钛业有限公司"))
    theirs = api_headers(users("filer", org="另一家公司"))
    created = _create(client, mine, "lost_license", seed_fields["lost_license"], []).get_json()
    for path in ("", "/preview.pdf", "/preview.png"):
        assert client.get(f"/api/v1/notices/{created['id']}{path}", headers=theirs).status_code == 404
    assert client.post(f"/api/v1/notices/{created['id']}/submit", headers=theirs).status_code == 404


def test_submit_then_editor_decides_with_audit_log(client: FlaskClient, users, pub, seed_fields) -> None:
    filer = api_headers(users("filer"))
    editor = api_headers(users("editor"))
    run = first_run_date(pub).isoformat()
    n = _create(client, filer, "termination", seed_fields["termination"], [run]).get_json()
    submitted = client.post(f"/api/v1/notices/{n['id']}/submit", headers=filer)
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "awaiting_payment"  # pay before review (no invoicing account)
    # Approving before payment does not apply: 409 and nothing changes.
    refused = client.post(f"/api/v1/notices/{n['id']}/approve", headers=editor, json={})
    assert refused.status_code == 409
    assert db.session.get(Notice, n["id"]).status == "awaiting_payment"
    # Rejecting needs a reason.
    no_reason = client.post(f"/api/v1/notices/{n['id']}/reject", headers=editor, json={})
    assert no_reason.status_code in (409, 422)
    events = db.session.query(NoticeEvent).filter_by(notice_id=n["id"]).order_by(NoticeEvent.id).all()
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("create", "draft", "draft"),
        ("submit", "draft", "awaiting_payment"),
    ]


def test_submitting_without_run_dates_is_refused(client: FlaskClient, users, pub, seed_fields) -> None:
    filer = api_headers(users("filer"))
    n = _create(client, filer, "lost_license", seed_fields["lost_license"], []).get_json()
    resp = client.post(f"/api/v1/notices/{n['id']}/submit", headers=filer)
    assert resp.status_code == 422
    assert "run_dates" in resp.get_json()["errors"]
    assert db.session.get(Notice, n["id"]).status == "draft"


def test_bad_json_shapes_are_422_not_500(client: FlaskClient, users, pub) -> None:
    headers = api_headers(users("filer"))
    for body in (
        [],
        "x",
        {"kind": "nope"},
        {"kind": "general", "fields": []},
        {"kind": "general", "run_dates": "x"},
    ):
        resp = client.post("/api/v1/notices", headers=headers, json=body)
        assert resp.status_code == 422, body


def test_openapi_lists_every_api_route(client: FlaskClient, app) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = set(doc["paths"])
    routes = set()
    for r in app.url_map.iter_rules():
        if r.rule.startswith("/api/v1"):
            path = r.rule.replace("<int:notice_id>", "{notice_id}")
            for arg in ("<any(submit, withdraw):action>", "<any(approve, reject, request_changes):action>"):
                if arg in path:
                    opts = arg.split("(")[1].split(")")[0].split(", ")
                    routes.update(path.replace(arg, o) for o in opts)
                    break
            else:
                if "<any(pdf, png):fmt>" in path:
                    routes.update(path.replace("<any(pdf, png):fmt>", f) for f in ("pdf", "png"))
                else:
                    routes.add(path)
    assert routes == documented


def test_editions_far_outside_the_calendar_are_a_422_not_a_500(client, users, pub) -> None:
    from apphelpers import api_headers

    user = users("filer", org="中航钛业有限公司")
    for query in ("from=0001-01-01", "from=9999-12-31", "from=1999-12-31&to=2000-01-05", "from=", "to="):
        resp = client.get(f"/api/v1/editions?{query}", headers=api_headers(user))
        assert resp.status_code == 422, query
        assert "errors" in resp.get_json()
