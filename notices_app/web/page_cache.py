"""Rendered public pages, kept for a few seconds in each web process.

A published notice never changes: what changes is whether it is public (withdrawal after the
retention period, a new edition published). The public pages already tell browsers and proxies
they may keep a page for 60 s (`Cache-Control: public, max-age=60`); this keeps the same page in
the process for at most PUBLIC_PAGE_CACHE_SECONDS (default 60, 0 switches it off) so that a
reader's request costs a dictionary lookup instead of queries and a template. Publishing from
the desk empties this process's cache at once; other processes, and the daily withdrawal
(`flask edition withdraw-expired`, a process of its own), show within the same bound as a
browser's cache.

Only anonymous GETs are kept (a signed-in user sees their own navigation), and only responses
that are the same for every reader: no cookie set, no session written, no CSP nonce used (a
nonce must be new in every response). Access rules and rate limits run before the cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from threading import Lock
from typing import Any

from flask import Flask, Response, current_app, g, request, session

MAX_ENTRIES = 4096
_KEPT_HEADERS = ("Content-Type", "Cache-Control", "Vary")
_KEPT_STATUS = (200, 410)  # a 404 may become a page when the next edition is published


@dataclass(frozen=True)
class Entry:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    expires: float


class PageCache:
    """A bounded map of rendered pages, oldest dropped first; safe across threads."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[str, ...], now: float) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= now:
                del self._entries[key]
                return None
            return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def cache_of(app: Flask) -> PageCache:
    cache = app.extensions.get("page_cache")
    if cache is None:
        cache = app.extensions["page_cache"] = PageCache()
    return cache  # type: ignore[no-any-return]


def clear(app: Flask | None = None) -> None:
    """Forget every kept page of this process (after publishing)."""
    cache_of(app or current_app._get_current_object()).clear()  # type: ignore[attr-defined]


def _seconds(app: Flask) -> float:
    configured = app.config.get("PUBLIC_PAGE_CACHE_SECONDS")
    if configured is None:
        return 0.0 if app.testing else 60.0  # tests switch it on where they test it
    return float(configured)


def _shareable(resp: Response) -> bool:
    return (
        resp.status_code in _KEPT_STATUS
        and not resp.direct_passthrough
        and resp.mimetype == "text/html"
        and "Set-Cookie" not in resp.headers
        and not session.modified
        and g.get("csp_nonce") is None
    )


def cached_page(view: Callable[..., Any]) -> Callable[..., Response]:
    """Serve the view's page from the cache for anonymous readers; place under @allow."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        seconds = _seconds(app)
        if seconds <= 0 or request.method != "GET" or g.get("user") is not None:
            return app.make_response(view(*args, **kwargs))
        key = (request.host_url, request.full_path, str(g.get("lang", "zh")))
        cache = cache_of(app)
        now = time.monotonic()
        hit = cache.get(key, now)
        if hit is not None:
            return Response(hit.body, status=hit.status, headers=list(hit.headers))
        resp = app.make_response(view(*args, **kwargs))
        if _shareable(resp):
            headers = tuple((name, resp.headers[name]) for name in _KEPT_HEADERS if name in resp.headers)
            cache.put(key, Entry(resp.status_code, resp.get_data(), headers, now + seconds))
        return resp

    return wrapper
