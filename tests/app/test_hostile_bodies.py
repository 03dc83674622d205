"""Hostile bodies are answered 4xx with a message on the field at fault, never a 500: JSON nested
too deep for the parser, a title with a combining mark the heading font cannot draw, a signed
webhook whose body is not an event object."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import date

import pytest
from apphelpers import api_headers, first_run_date, login
from flask import Flask
from flask.testing import FlaskClient
from paymenthelpers import WHSEC, awaiting_notice, log_count, state, stripe_configured
from stripefake import FakeStripe, sign

from notices_app.extensions import db
from notices_app.models import Notice, StripeEvent

DEEP = 100_000
DEEP_LIST = b"[" * DEEP + b"]" * DEEP
# A combining acute accent: NFC has no precomposed 告́, and the heading font (Hei) lacks U+0301.
COMBINING_TITLE = "公告\u0301"


def _general(title: str = "公告") -> dict[str, str]:
    return {
        "title": title,
        "body": "本公司定于二〇二六年三月一日起迁至新址办公。",
        "signer": "中航钛业有限公司",
        "signed_on": date.today().isoformat(),
    }


def _post_json(client: FlaskClient, path: str, headers: dict[str, str], body: bytes) -> object:
    return client.post(path, headers=headers, data=body, content_type="application/json")


# --- JSON nested too deep -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP_LIST,
        b'{"kind": "general", "fields": {"title": ' + DEEP_LIST + b"}}",
        b'{"kind": "general", "fields": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}",
        b"[" * 65 + b"]" * 65,  # one level past the limit
    ],
    ids=["list", "inside-a-field", "objects", "depth-65"],
)
def test_json_nested_too_deep_is_a_4xx_naming_the_body(client: FlaskClient, users, pub, body: bytes) -> None:
    user = users("filer")
    zh = _post_json(client, "/api/v1/notices", api_headers(user), body)
    assert zh.status_code in (400, 422), zh.get_data(as_text=True)[:300]
    assert any("嵌套" in m and "64" in m for m in zh.get_json()["errors"]["_"]), zh.get_json()
    en = _post_json(client, "/api/v1/notices", api_headers(user, "en"), body)
    assert en.status_code == zh.status_code
    assert any("nested" in m and "64" in m for m in en.get_json()["errors"]["_"]), en.get_json()
    assert db.session.query(Notice).count() == 0


def test_json_within_the_depth_limit_is_read_as_before(client: FlaskClient, users, pub) -> None:
    # Depth 64 exactly: parsed, then refused by the form for what it is (a list, not a title).
    title = "[" * 62 + "]" * 62
    body = f'{{"kind": "general", "fields": {{"title": {title}}}}}'.encode()
    resp = _post_json(client, "/api/v1/notices", api_headers(users("filer"), "en"), body)
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["title"] == ["Expected a string, got a list."]


def test_brackets_inside_strings_do_not_count_as_nesting(client: FlaskClient, users, pub) -> None:
    fields = _general()
    fields["body"] = "本公司迁址。" + "[" * 100 + "{" * 100 + '\\"['  # text, not structure
    body = json.dumps({"kind": "general", "fields": fields, "run_dates": [first_run_date(pub).isoformat()]})
    resp = _post_json(client, "/api/v1/notices", api_headers(users("filer"), "en"), body.encode())
    assert resp.status_code == 201, resp.get_json()


def test_deep_json_on_an_editors_decision_is_a_4xx(client: FlaskClient, users, pub, seed_fields) -> None:
    filer = users("filer")
    from notices_app.services import notices as svc

    notice = svc.create_notice(
        filer, svc.NoticeInput("lost_license", seed_fields["lost_license"], [first_run_date(pub)], True)
    )
    resp = _post_json(
        client, f"/api/v1/notices/{notice.id}/reject", api_headers(users("editor"), "en"), DEEP_LIST
    )
    assert resp.status_code in (400, 422)
    assert any("nested" in m for m in resp.get_json()["errors"]["_"])


@pytest.mark.parametrize(
    ("body", "zh", "en"),
    [
        (b"{not json", "不是有效的 JSON", "not valid JSON"),
        (b"\xff\xfe\xfa", "不是有效的 JSON", "not valid JSON"),
        (b"[1, 2]", "JSON 对象", "JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_says_so(
    client: FlaskClient, users, pub, body: bytes, zh: str, en: str
) -> None:
    user = users("filer")
    r_zh = _post_json(client, "/api/v1/notices", api_headers(user), body)
    r_en = _post_json(client, "/api/v1/notices", api_headers(user, "en"), body)
    assert r_zh.status_code == r_en.status_code == 422
    assert any(zh in m for m in r_zh.get_json()["errors"]["_"]), r_zh.get_json()
    assert any(en in m for m in r_en.get_json()["errors"]["_"]), r_en.get_json()


# --- a character the heading font cannot print ----------------------------------------------


def test_a_combining_mark_in_the_title_is_a_422_on_title(client: FlaskClient, users, pub) -> None:
    user = users("filer")
    payload = {
        "kind": "general",
        "fields": _general(COMBINING_TITLE),
        "run_dates": [first_run_date(pub).isoformat()],
    }
    zh = client.post("/api/v1/notices", headers=api_headers(user), json=payload)
    assert zh.status_code == 422, zh.get_data(as_text=True)[:300]
    assert zh.get_json()["errors"] == {"title": [zh.get_json()["errors"]["title"][0]]}
    assert "印刷字库中没有" in zh.get_json()["errors"]["title"][0]
    assert "U+0301" in zh.get_json()["errors"]["title"][0]
    en = client.post("/api/v1/notices", headers=api_headers(user, "en"), json=payload)
    assert en.status_code == 422
    assert "The print fonts lack" in en.get_json()["errors"]["title"][0]
    assert "U+0301" in en.get_json()["errors"]["title"][0]
    assert db.session.query(Notice).count() == 0


def test_the_same_mark_in_the_body_prints_in_ming_and_is_accepted(client: FlaskClient, users, pub) -> None:
    # The body font (Ming) has U+0301: each field is checked against the font it prints in.
    fields = _general()
    fields["body"] = "本公司定于三月一日迁址办公\u0301。"
    payload = {"kind": "general", "fields": fields, "run_dates": [first_run_date(pub).isoformat()]}
    resp = client.post("/api/v1/notices", headers=api_headers(users("filer")), json=payload)
    assert resp.status_code == 201, resp.get_json()


def _title_errors(page: str) -> list[str]:
    """The error list printed under the title field of the notice form."""
    match = re.search(r'<label for="title">.*?</div>', page, re.S)
    assert match, page[:2000]
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(0), re.S)]


@pytest.mark.parametrize(
    ("lang", "expected"), [("zh", "印刷字库中没有“́”（U+0301）"), ("en", "The print fonts lack '́' (U+0301)")]
)
def test_a_combining_mark_in_the_browser_form_is_shown_on_the_title(
    client: FlaskClient, users, pub, lang: str, expected: str
) -> None:
    login(client, users("filer"))
    data = {**_general(COMBINING_TITLE), "run_dates": first_run_date(pub).isoformat()}
    resp = client.post(f"/notices/new/general?lang={lang}", data=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    errors = _title_errors(resp.get_data(as_text=True))
    assert any(expected in e for e in errors), errors
    assert db.session.query(Notice).count() == 0
    live = client.post(f"/notices/live/general?lang={lang}", data=data).get_json()
    assert any(expected in p for p in live["problems"]), live


# --- a signed webhook body that is not an event -----------------------------------------------


@pytest.fixture
def stripe(app: Flask) -> Iterator[FakeStripe]:
    with stripe_configured(app) as fake:
        yield fake


@pytest.mark.parametrize(
    "body",
    [
        b"[1,2]",
        b'"x"',
        b"3",
        b"null",
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": [1]}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "x"}}',
        b'{"id": ["evt_1"], "type": "checkout.session.completed", "data": {"object": {}}}',
        DEEP_LIST,
    ],
    ids=["list", "string", "number", "null", "data-list", "object-string", "id-list", "deep"],
)
def test_a_signed_body_that_is_not_an_event_object_is_a_400(
    stripe, client: FlaskClient, users, pub, seed_fields, body: bytes
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    logs_before = log_count(payment.id)
    resp = client.post(
        "/billing/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": sign(body, WHSEC)},
        content_type="application/json",
    )
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert state(payment.id) == ("pending", 0, [], "awaiting_payment")
    assert log_count(payment.id) == logs_before
    assert db.session.query(StripeEvent).count() == 0
