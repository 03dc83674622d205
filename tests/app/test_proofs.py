"""Proof of publication end to end: seed-demo → `flask edition build` → publish → the certificate
PDF read back, /verify/<token> with uploads, and the filer's downloads (browser and API)."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pdfplumber
import pikepdf
import pytest
from apphelpers import api_headers, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import Edition, Notice, PublishedNotice, User, utcnow
from notices_app.services import proofs, storage
from notices_app.services.errors import NotFound
from notices_app.web import proofs as proof_views

BASE = "https://notices.example.cn"
ORG = "中航钛业有限公司"


def _seed_and_build(app: Flask) -> Edition:
    out = app.test_cli_runner().invoke(args=["seed-demo", "--quiet"])
    assert out.exit_code == 0, out.output
    edition = next(e for e in db.session.scalars(select(Edition)) if e.plan.get("pages"))
    out = app.test_cli_runner().invoke(args=["edition", "build", edition.date.isoformat()])
    assert out.exit_code == 0, out.output
    db.session.refresh(edition)
    return edition


def _publish(edition: Edition) -> dict[str, PublishedNotice]:
    """Publish the built edition (freezes the page PDFs, records the notices); rows by kind."""
    from notices_app.services.publishing import publish_edition

    publish_edition(edition.date)
    rows = db.session.scalars(select(PublishedNotice).where(PublishedNotice.edition_id == edition.id))
    return {p.kind: p for p in rows}


@pytest.fixture
def published(app: Flask, pub, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    edition = _seed_and_build(app)
    termination = db.session.scalar(select(Notice).where(Notice.kind == "termination"))
    assert termination is not None
    return {"edition": edition, "termination_id": termination.id}


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join(c["text"] for c in doc.pages[0].chars)


def _filers(users: Any) -> tuple[User, User]:
    return users("filer", org=ORG), users("filer", org="淄博另一家有限公司")


def test_the_proof_states_the_page_and_the_hash_of_the_frozen_page(app: Flask, published) -> None:
    rows = _publish(published["edition"])
    p = rows["termination"]
    pdf = proofs.proof_pdf(p)
    text = _text(pdf)
    d = p.run_date
    for needle in (
        "登报证明",
        "淄博晚报",
        f"{d.year}年{d.month}月{d.day}日",
        f"第{p.page}版",
        ORG,
        "视为送达",
    ):
        assert needle in text, needle
    frozen = storage.read(p.page_pdf_path)
    assert p.page_sha256 == hashlib.sha256(frozen).hexdigest()
    assert p.page_sha256 in text.replace(" ", "")
    url = f"{BASE}/verify/{p.proof_token}"
    assert url in text
    assert (
        p.deemed_served_on is not None and f"{p.deemed_served_on.month}月{p.deemed_served_on.day}日" in text
    )
    # The notice as printed is in the proof: its own words, from the frozen page.
    assert "特此公告" in text and "视为送达" in text
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        fonts = [o for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"]
        assert fonts and all("/FontFile2" in f.FontDescriptor for f in fonts)
    # Kept in storage; made again with the same bytes when the file is gone.
    cached = storage.path_of(f"proofs/{p.proof_token}.pdf")
    assert cached.read_bytes() == pdf
    cached.unlink()
    assert proofs.proof_pdf(p) == pdf and cached.exists()


def test_a_proof_is_refused_when_the_frozen_page_no_longer_matches(app: Flask, published) -> None:
    rows = _publish(published["edition"])
    p = rows["lost_license"]
    # A row pointing at a copy of the page that has been altered since it was registered.
    data = bytearray(storage.read(p.page_pdf_path))
    data[-10] ^= 1
    p.page_pdf_path = f"tampered/{p.proof_token}.pdf"
    storage.store(p.page_pdf_path, bytes(data))
    with pytest.raises(proofs.PageIntegrityError):
        proofs.proof_pdf(p)
    assert not storage.path_of(f"proofs/{p.proof_token}.pdf").exists()


def test_verify_page_shows_the_record_masked_and_checks_uploads(
    app: Flask, client: FlaskClient, published
) -> None:
    rows = _publish(published["edition"])
    p = rows["termination"]
    page = storage.read(p.page_pdf_path)
    resp = client.get(f"/verify/{p.proof_token}")
    assert resp.status_code == 200 and resp.headers["X-Robots-Tag"] == "noindex"
    html = resp.get_data(as_text=True)
    for needle in (
        "淄博晚报",
        "第1版",
        ORG,
        "解除劳动关系公告",
        p.page_sha256,
    ):
        assert needle in html, needle
    # The seed page prints full ID numbers, so its PDF is not offered (nor served) on the web.
    assert f"/verify/{p.proof_token}/page.pdf" not in html
    assert client.get(f"/verify/{p.proof_token}/page.pdf").status_code == 404
    # The masked web copy only: no whole ID number anywhere on the public page.
    notice = db.session.get(Notice, p.notice_id)
    assert notice is not None
    for e in notice.fields["employees"]:
        assert e["id_number"] not in html
        assert e["id_number"][:6] + "********" + e["id_number"][-4:] in html
    assert not re.search(r"\d{17}[\dX]", html)
    if p.image_path:
        assert re.search(r'<img src="/verify/[^"]+/notice.png" width="\d+" height="\d+"', html)
        with client.get(f"/verify/{p.proof_token}/notice.png") as image:
            assert image.data == storage.read(p.image_path)
    # The real page matches; one changed byte does not, and both hashes are shown.
    ok = client.post(f"/verify/{p.proof_token}", data={"page_pdf": (io.BytesIO(page), "page-01.pdf")})
    assert ok.status_code == 200 and "一致" in ok.get_data(as_text=True)
    assert "不一致" not in ok.get_data(as_text=True)
    changed = bytearray(page)
    changed[len(changed) // 2] ^= 0x01
    bad = client.post(
        f"/verify/{p.proof_token}", data={"page_pdf": (io.BytesIO(bytes(changed)), "page-01.pdf")}
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "不一致" in body
    assert p.page_sha256 in body and hashlib.sha256(bytes(changed)).hexdigest() in body
    # Any bytes are accepted; nothing at all is a 400; English on request.
    en = client.post(
        f"/verify/{p.proof_token}?lang=en", data={"page_pdf": (io.BytesIO(b"not a pdf"), "x.txt")}
    )
    assert en.status_code == 200 and "Does not match" in en.get_data(as_text=True)
    assert client.post(f"/verify/{p.proof_token}", data={}).status_code == 400
    assert client.get(f"/verify/{'A' * 32}").status_code == 404
    assert client.get("/verify/x").status_code == 404
    assert client.get(f"/verify/{'A' * 32}/page.pdf").status_code == 404


def test_uploads_up_to_the_proof_limit_beyond_the_app_default(
    app: Flask, client: FlaskClient, published, monkeypatch
) -> None:
    rows = _publish(published["edition"])
    token = rows["lost_license"].proof_token
    big = b"%PDF" + b"\0" * (9 * 1024 * 1024)  # over the app's 8 MB default for other forms
    # The body is encoded here: the test client would spool a large one to a temporary file it
    # never closes (a ResourceWarning, an error under filterwarnings=error).
    boundary = "proof-upload-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="page_pdf"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    resp = client.post(
        f"/verify/{token}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert resp.status_code == 200 and "不一致" in resp.get_data(as_text=True)
    monkeypatch.setattr(proof_views, "UPLOAD_LIMIT", 4096)
    resp = client.post(f"/verify/{token}", data={"page_pdf": (io.BytesIO(b"x" * 8192), "big.pdf")})
    assert resp.status_code == 413 and "50 MB" in resp.get_data(as_text=True)


def test_withdrawn_and_print_only_records_stay_verifiable_without_the_web_copy(
    app: Flask, client: FlaskClient, published
) -> None:
    rows = _publish(published["edition"])
    p = rows["termination"]
    p.withdrawn_at, p.withdrawn_reason = utcnow(), "retention"
    q = rows["lost_license"]
    q.withdrawn_at, q.withdrawn_reason = utcnow(), "print_only"
    db.session.commit()
    html = client.get(f"/verify/{p.proof_token}").get_data(as_text=True)
    assert p.page_sha256 in html and "网络版已按保留期限撤下" in html
    assert "page.pdf" not in html and "notice.png" not in html and "370303" not in html
    assert client.get(f"/verify/{p.proof_token}/page.pdf").status_code == 404
    assert client.get(f"/verify/{p.proof_token}/notice.png").status_code == 404
    assert "仅刊登于纸质版" in client.get(f"/verify/{q.proof_token}").get_data(as_text=True)
    page = storage.read(p.page_pdf_path)
    assert proofs.check_upload(q.proof_token, page).match
    # The filer's certificate does not depend on the web copy.
    assert proofs.proof_pdf(p).startswith(b"%PDF")


def test_filer_downloads_the_proof_from_the_notice_page_and_the_api(
    app: Flask, client: FlaskClient, users, published
) -> None:
    owner, other = _filers(users)
    nid = published["termination_id"]
    # Before publication there is nothing to download.
    login(client, owner)
    assert client.get(f"/notices/{nid}/proof.pdf").status_code == 404
    assert client.get(f"/api/v1/notices/{nid}/proof.pdf", headers=api_headers(owner)).status_code == 404
    assert "下载登报证明" not in client.get(f"/notices/{nid}").get_data(as_text=True)

    p = _publish(published["edition"])["termination"]
    day = p.run_date.isoformat()
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert "下载登报证明" in page and f"/notices/{nid}/proof.pdf?date={day}" in page
    resp = client.get(f"/notices/{nid}/proof.pdf?date={day}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data == proofs.proof_pdf(p)
    assert client.get(f"/notices/{nid}/proof.pdf").data == resp.data  # the latest run by default
    assert client.get(f"/notices/{nid}/proof.pdf?date=1999-01-01").status_code == 404
    assert client.get(f"/notices/{nid}/proof.pdf?date=nonsense").status_code == 404

    api = client.get(f"/api/v1/notices/{nid}/proof.pdf", headers=api_headers(owner))
    assert api.status_code == 200 and api.data == resp.data
    stranger = client.get(f"/api/v1/notices/{nid}/proof.pdf", headers=api_headers(other))
    assert stranger.status_code == 404 and stranger.is_json
    assert client.get(f"/api/v1/notices/{nid}/proof.pdf").status_code == 401

    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(f"/notices/{nid}/proof.pdf").status_code == 404
    with pytest.raises(NotFound):
        proofs.filer_proof(nid, other)


def test_the_proof_api_route_is_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/notices/{notice_id}/proof.pdf"]["get"]
    assert "application/pdf" in op["responses"]["200"]["content"]
    assert {"401", "404"} <= set(op["responses"])
