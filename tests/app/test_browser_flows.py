"""Client-level flows: a filer files a termination notice in the browser, an editor decides."""

from __future__ import annotations

import re
from typing import Any

from apphelpers import first_run_date, login
from flask.testing import FlaskClient

from notices_app.extensions import db
from notices_app.models import Notice


def _formdata(fields: dict[str, Any], runs: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, list):
            for i, row in enumerate(value):
                for sub, v in row.items():
                    data[f"{key}-{i}-{sub}"] = v
        elif isinstance(value, bool):
            if value:
                data[key] = "y"
        else:
            data[key] = value
    data["run_dates"] = runs
    return data


def test_filer_files_corrects_and_submits_editor_approves(
    client: FlaskClient, users, pub, seed_fields
) -> None:
    filer = users("filer")
    login(client, filer)
    page = client.get("/notices/new/termination").get_data(as_text=True)
    assert "统一社会信用代码" in page and "添加一行" in page  # labels and add-row control
    run = first_run_date(pub).isoformat()

    bad = _formdata(dict(seed_fields["termination"], credit_code="91370300MA3C4XYW01"), [run])
    resp = client.post("/notices/new/termination", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "请更正下面标红的内容" in html
    assert 'value="91370300MA3C4XYW01"' in html  # the value is kept after the error
    assert "王鹏" in html  # the employees' rows too
    assert db.session.query(Notice).count() == 0

    good = _formdata(seed_fields["termination"], [run])
    resp = client.post("/notices/new/termination", data=good)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    notice_id = int(re.search(r"/notices/(\d+)", resp.headers["Location"]).group(1))
    show = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "视为送达日期" in show  # deemed-served date shown for a termination notice
    assert client.get(f"/notices/{notice_id}/preview.png").data.startswith(b"\x89PNG")

    live = client.post("/notices/live/termination", data=good).get_json()
    assert live["price_fen"] == db.session.get(Notice, notice_id).price_fen
    assert live["png"].startswith("data:image/png;base64,")

    assert client.post(f"/notices/{notice_id}/submit").status_code == 302
    assert db.session.get(Notice, notice_id).status == "awaiting_payment"

    editor = users("editor")
    desk = client.application.test_client()
    login(desk, editor)
    queue = desk.get("/desk/?status=awaiting_payment").get_data(as_text=True)
    assert f"/desk/notices/{notice_id}" in queue
    detail = desk.get(f"/desk/notices/{notice_id}").get_data(as_text=True)
    assert "王鹏" in detail and "审计记录" in detail
    desk.post(f"/desk/notices/{notice_id}/mark_paid", data={"reason": "柜台现金"})
    desk.post(f"/desk/notices/{notice_id}/request_changes", data={"reason": "请补充联系地址的门牌号"})
    assert db.session.get(Notice, notice_id).status == "changes_requested"

    dashboard = client.get("/notices/").get_data(as_text=True)
    assert "请补充联系地址的门牌号" in dashboard  # the filer sees the editor's comment


def test_english_ui_on_request(client: FlaskClient, users, pub) -> None:
    login(client, users("filer"))
    html = client.get("/notices/new/lost_license?lang=en").get_data(as_text=True)
    assert "Run dates" in html
    assert "Run dates" in client.get("/notices/new/lost_license").get_data(as_text=True)  # remembered


def test_other_organisation_gets_404_in_the_browser(client: FlaskClient, users, pub, seed_fields) -> None:
    from notices_app.services import notices as svc

    owner = users("filer", org="中航钛业有限公司")
    n = svc.create_notice(owner, svc.NoticeInput("termination", seed_fields["termination"], [], True))
    login(client, users("filer", org="别的公司"))
    for path in (f"/notices/{n.id}", f"/notices/{n.id}/edit", f"/notices/{n.id}/preview.pdf"):
        assert client.get(path).status_code == 404
    assert client.post(f"/notices/{n.id}/withdraw").status_code == 404
