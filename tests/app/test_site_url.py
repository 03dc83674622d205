"""Absolute links come from the configured site address (NOTICES_SITE_URL), never from the Host
header a request sent: a feed reader or cache keeps what it was given."""

from __future__ import annotations

import secrets
from datetime import date
from xml.etree import ElementTree as ET

import pytest
from flask import Flask

from notices_app.extensions import db
from notices_app.models import Edition, Notice, Publication, PublishedNotice, User

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://notices.example.cn"


def _published_general(pub: Publication, filer: User) -> PublishedNotice:
    today = date.today()
    edition = Edition(publication_id=pub.id, date=today, status="published")
    notice = Notice(
        publication_id=pub.id,
        org_id=filer.org_id,
        created_by_id=filer.id,
        kind="general",
        status="published",
        fields={"title": "公告", "body": "本公司定于下月召开股东大会。", "signer": "中航钛业有限公司"},
    )
    db.session.add_all([edition, notice])
    db.session.flush()
    row = PublishedNotice(
        notice_id=notice.id,
        edition_id=edition.id,
        run_date=today,
        page=5,
        kind="general",
        title="公告",
        org_name="中航钛业有限公司",
        web_text="公告\n本公司定于下月召开股东大会。",
        search_text="公告 本公司定于下月召开股东大会。",
        page_pdf_path=f"published/{today}/page-05.pdf",
        page_sha256="0" * 64,
        proof_token=secrets.token_urlsafe(24),
    )
    db.session.add(row)
    db.session.commit()
    return row


def _links(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    hrefs = [el.get("href", "") for el in root.iter(f"{ATOM}link")]
    return hrefs + [el.text or "" for el in root.iter(f"{ATOM}id")]


@pytest.mark.parametrize("configured", [SITE, SITE + "/"])
def test_feed_links_use_the_site_url_whatever_the_host_header(
    app: Flask, pub: Publication, users, monkeypatch: pytest.MonkeyPatch, configured: str
) -> None:
    row = _published_general(pub, users("filer"))
    monkeypatch.setitem(app.config, "SITE_URL", configured)
    resp = app.test_client().get("/feeds/general.atom", headers={"Host": "evil.example"})
    assert resp.status_code == 200
    links = _links(resp.data)
    assert f"{SITE}/feeds/general.atom" in links and f"{SITE}/n/{row.id}" in links
    assert links and all(link.startswith(SITE + "/") for link in links), links
    assert b"evil.example" not in resp.data


def test_without_a_site_url_links_go_to_the_demo_address_not_the_host(
    app: Flask, pub: Publication, users, monkeypatch: pytest.MonkeyPatch
) -> None:
    _published_general(pub, users("filer"))
    monkeypatch.setitem(app.config, "SITE_URL", "")
    resp = app.test_client().get("/feeds/general.atom", headers={"Host": "evil.example"})
    assert all(link.startswith("http://127.0.0.1:5000/") for link in _links(resp.data))


def test_the_older_public_base_url_name_and_the_contract_name_are_one_setting(tmp_path) -> None:
    from notices_app import create_app

    def configured(**config: str) -> tuple[str, str]:
        made = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", **config}
        )
        return made.config["SITE_URL"], made.config["PUBLIC_BASE_URL"]

    assert configured(SITE_URL=SITE + "/") == (SITE, SITE)  # the proofs print it too
    assert configured(PUBLIC_BASE_URL=SITE) == (SITE, SITE)
    with pytest.raises(RuntimeError, match="NOTICES_SITE_URL must be an http"):
        configured(SITE_URL="notices.example.cn")
