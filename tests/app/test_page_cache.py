"""Public pages kept in the process (notices_app/web/page_cache.py): anonymous readers get the
kept page until it expires or the desk publishes; signed-in users never get it, each language
has its own; headers and cookies from the response hooks are fresh on every response."""

from __future__ import annotations

from typing import Any

import pytest
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient
from test_search import Rows

from notices_app.extensions import db
from notices_app.models import Publication, PublishedNotice
from notices_app.web import page_cache


@pytest.fixture
def kept(app: Flask) -> Any:
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 60
    page_cache.clear(app)
    yield page_cache.cache_of(app)
    page_cache.clear(app)
    app.config.pop("PUBLIC_PAGE_CACHE_SECONDS")


@pytest.fixture
def row(pub: Publication, users: Any) -> PublishedNotice:
    return Rows(pub, users("filer")).coop()


def _retitle(row: PublishedNotice, title: str) -> None:
    row.web_text = row.web_text.replace(row.web_text.split("\n", 1)[0], title, 1)
    db.session.commit()


def test_an_anonymous_reader_gets_the_kept_page_until_it_expires(
    kept: page_cache.PageCache, client: FlaskClient, row: PublishedNotice, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get(f"/n/{row.id}")
    assert first.status_code == 200 and len(kept) == 1
    _retitle(row, "改过的标题")
    again = client.get(f"/n/{row.id}")
    assert again.get_data() == first.get_data()  # served from the cache, not the database
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert "Content-Security-Policy" in again.headers and "X-Frame-Options" in again.headers
    now = page_cache.time.monotonic()
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now + 61)
    assert "改过的标题" in client.get(f"/n/{row.id}").get_data(as_text=True)


def test_publishing_from_the_desk_empties_the_cache(
    kept: page_cache.PageCache, app: Flask, client: FlaskClient, row: PublishedNotice
) -> None:
    client.get(f"/n/{row.id}")
    assert len(kept) == 1
    page_cache.clear(app)  # what the desk's publish action calls after publishing
    _retitle(row, "出版后的标题")
    assert "出版后的标题" in client.get(f"/n/{row.id}").get_data(as_text=True)


def test_signed_in_users_and_other_languages_are_not_served_kept_pages(
    kept: page_cache.PageCache, app: Flask, client: FlaskClient, row: PublishedNotice, users: Any
) -> None:
    zh = client.get(f"/n/{row.id}", headers={"Accept-Language": "zh"})
    en = client.get(f"/n/{row.id}", headers={"Accept-Language": "en"})
    assert zh.get_data() != en.get_data() and len(kept) == 2  # one page per language
    # A language switch is kept as a page of its own, and the replay still sets the cookie
    # (cookies come from the response hooks, after the cache).
    for _ in range(2):
        switched = client.get(f"/n/{row.id}?lang=en")
        assert "lang=en" in switched.headers["Set-Cookie"] and len(kept) == 3
    _retitle(row, "登录后看到的标题")
    signed_in = app.test_client()
    login(signed_in, users("filer"))
    assert "登录后看到的标题" in signed_in.get(f"/n/{row.id}").get_data(as_text=True)


def test_switched_off_by_default_under_testing_and_with_zero(
    app: Flask, client: FlaskClient, row: PublishedNotice
) -> None:
    client.get(f"/n/{row.id}")
    _retitle(row, "立即可见的标题")
    assert "立即可见的标题" in client.get(f"/n/{row.id}").get_data(as_text=True)
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    try:
        client.get(f"/n/{row.id}")
        assert len(page_cache.cache_of(app)) == 0
    finally:
        app.config.pop("PUBLIC_PAGE_CACHE_SECONDS")


def test_the_cache_is_bounded_oldest_first() -> None:
    cache = page_cache.PageCache(max_entries=2)
    for name in ("a", "b", "c"):
        cache.put((name,), page_cache.Entry(200, name.encode(), (), expires=10.0))
    assert cache.get(("a",), 0.0) is None and cache.get(("c",), 0.0) is not None
    assert cache.get(("b",), 10.0) is None  # expired at its time
