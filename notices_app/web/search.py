"""Public notice search: the /search page and GET /api/v1/public/notices (no login, no token).

Both take the same query-string arguments (q, org, code, kind, from, to, page, per_page) and
show web copies only (masked text of public rows); bad arguments are a 422 with the reasons.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for

from notices_app.extensions import limiter
from notices_app.models import KINDS, PublishedNotice
from notices_app.rules.masking import mask_ids_in_text
from notices_app.services.errors import FieldErrors
from notices_app.services.search import COUNT_CAP, SearchParams, SearchResult, parse_params, query_terms, run
from notices_app.web.access import PUBLIC, allow
from notices_app.web.security import limit_from_config

bp = Blueprint("search", __name__)
RESULT_CACHE = "public, max-age=60"  # results change when an edition is published
ARGS = ("q", "org", "code", "kind", "from", "to", "per_page")
SNIPPET_CHARS = 60


@bp.context_processor
def _helpers() -> dict[str, Any]:
    # public/layout.html asks which optional pages exist.
    return {"has_endpoint": lambda name: name in current_app.view_functions}


def permalink(p: PublishedNotice) -> str:
    if "public.permalink" in current_app.view_functions:
        return url_for("public.permalink", published_id=p.id)
    return f"/n/{p.id}"


def public_json(p: PublishedNotice) -> dict[str, Any]:
    """The public (masked) web copy of a notice as the API returns it."""
    return {
        "id": p.id,
        "kind": p.kind,
        "title": p.title,
        "org_name": p.org_name,
        "credit_code": p.credit_code,
        "reg_number": p.reg_number,
        "run_date": p.run_date.isoformat(),
        "page": p.page,
        "web_text": p.web_text,
        "permalink": permalink(p),
    }


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, str, str]:
    """(before, match, after) around the first term found in `text`, or its start."""
    folded = text.casefold()
    for term in terms:
        at = folded.find(term.casefold())
        if at >= 0 and len(term.casefold()) == len(term):
            start = max(0, at - width // 3)
            end = min(len(text), at + len(term) + width)
            return (
                ("…" if start else "") + text[start:at],
                text[at : at + len(term)],
                text[at + len(term) : end] + ("…" if end < len(text) else ""),
            )
    return "", "", text[:width] + ("…" if len(text) > width else "")


def _page_url(page: int) -> str:
    args = {k: v for k in ARGS if (v := request.args.get(k))}
    return url_for("search.search", **args, page=page)


def _cached(resp: Response) -> Response:
    if g.get("user") is None:
        resp.headers["Cache-Control"] = RESULT_CACHE
        resp.headers["Vary"] = "Cookie, Accept-Language"
    return resp


@bp.route("/search")
@allow(PUBLIC)
@limiter.limit(limit_from_config("RATELIMIT_SEARCH"))  # the API's search counts in RATELIMIT_API
def search() -> Any:
    errors: dict[str, list[str]] = {}
    result: SearchResult | None = None
    try:
        params = parse_params(request.args)
    except FieldErrors as err:
        errors = err.render(g.lang)
        params = SearchParams()
    else:
        result = run(params)
    terms = query_terms(params.q) + query_terms(params.org)
    rows = [(p, snippet(p.web_text, terms)) for p in (result.items if result else [])]
    # What was typed is shown back in the form, but never a whole ID number, even one typed in.
    shown = {k: mask_ids_in_text(v) for k in ARGS if (v := request.args.get(k))}
    html = render_template(
        "public/search.html",
        args=shown,
        kinds=KINDS,
        errors=errors,
        result=result,
        rows=rows,
        cap=COUNT_CAP,
        permalink=permalink,
        prev_url=_page_url(result.page - 1) if result and result.page > 1 else None,
        next_url=_page_url(result.page + 1) if result and result.has_next else None,
    )
    # Result pages repeat what was typed; they are not for search engines to keep.
    headers = {"X-Robots-Tag": "noindex"}
    if errors:
        return html, 422, headers
    return _cached(Response(html, mimetype="text/html", headers=headers))


@bp.route("/api/v1/public/notices")
@allow(PUBLIC)
def api_notices() -> Any:
    try:
        params = parse_params(request.args)
    except FieldErrors as err:
        return jsonify(errors=err.render(g.lang)), 422
    result = run(params)
    return _cached(
        jsonify(
            items=[public_json(p) for p in result.items],
            total=result.total,
            total_exact=result.total_exact,
            page=result.page,
            per_page=result.limit,
            has_next=result.has_next,
        )
    )
