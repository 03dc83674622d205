"""Notice search on the database the suite runs on (SQLite, then PostgreSQL): every query kind
finds the right public rows and nothing else; the indexes follow the table; the page and the
JSON API show masked copies only and answer bad input with 422, never 500."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices_app.extensions import db
from notices_app.models import Edition, Notice, Publication, PublishedNotice, User, utcnow
from notices_app.rules.identifiers import uscc_check_char
from notices_app.rules.masking import web_fields
from notices_app.rules.wording import notice_text
from notices_app.services import search as search_service
from notices_app.services.demo import lost_license_fields, termination_fields
from notices_app.services.search import compose_search_text, search

TODAY = date.today()
D1, D2, D3 = (TODAY - timedelta(days=n) for n in (30, 29, 28))  # within any retention period
ZHONGHANG = termination_fields(TODAY)  # 中航钛业有限公司, credit code 91370300MA3C4XYW0…
COOP = lost_license_fields(TODAY)  # 淄博淄川峨庄乡村旅游专业合作社, 注册号 370302NA000215
WANG_PENG_ID = ZHONGHANG["employees"][0]["id_number"]
XINGTAI = "邢台九龙峡旅游有限公司"
XINGTAI_CODE = "91130500MA0CW2Y8" + "1" + uscc_check_char("91130500MA0CW2Y81")


class Rows:
    """Published notices made directly (as publish_edition would record them), web text masked."""

    def __init__(self, pub: Publication, filer: User) -> None:
        self.pub, self.filer = pub, filer

    def __call__(
        self,
        kind: str,
        fields: dict[str, Any],
        org_name: str,
        run_date: date = TODAY,
        credit_code: str | None = None,
        reg_number: str | None = None,
        withdrawn: str | None = None,
    ) -> PublishedNotice:
        edition = db.session.scalar(sa.select(Edition).where(Edition.date == run_date))
        if edition is None:
            edition = Edition(publication_id=self.pub.id, date=run_date, status="published")
            db.session.add(edition)
        notice = Notice(
            publication_id=self.pub.id,
            org_id=self.filer.org_id,
            created_by_id=self.filer.id,
            kind=kind,
            status="published",
            fields=fields,
        )
        db.session.add(notice)
        db.session.flush()
        text = notice_text(kind, web_fields(kind, fields, hide_names=False))
        web = "\n".join([text.heading, *text.paragraphs, *text.closing, *text.signature])
        row = PublishedNotice(
            notice_id=notice.id,
            edition_id=edition.id,
            run_date=run_date,
            page=5,
            box={"col": 0, "cols": 1, "line": 0, "lines": 10, "rect": [1, 1, 10, 10]},
            kind=kind,
            title=text.heading,
            org_name=org_name,
            credit_code=credit_code,
            reg_number=reg_number,
            web_text=web,
            search_text=compose_search_text(web, org_name, credit_code, reg_number),
            page_pdf_path=f"published/{run_date}/page-05.pdf",
            page_sha256="0" * 64,
            proof_token=secrets.token_urlsafe(24),
            withdrawn_at=utcnow() if withdrawn else None,
            withdrawn_reason=withdrawn,
        )
        db.session.add(row)
        db.session.commit()
        return row

    def termination(self, run_date: date = TODAY, **kw: Any) -> PublishedNotice:
        code = ZHONGHANG["credit_code"]
        return self("termination", ZHONGHANG, "中航钛业有限公司", run_date, credit_code=code, **kw)

    def coop(self, run_date: date = TODAY, **kw: Any) -> PublishedNotice:
        return self("lost_license", COOP, COOP["org_name"], run_date, reg_number=COOP["reg_number"], **kw)

    def xingtai(self, run_date: date = TODAY, **kw: Any) -> PublishedNotice:
        fields = dict(
            COOP, org_name=XINGTAI, credit_code=XINGTAI_CODE, reg_number="", document="official_seal"
        )
        return self("lost_license", fields, XINGTAI, run_date, credit_code=XINGTAI_CODE, **kw)

    def general(self, title: str, body: str, run_date: date = TODAY, **kw: Any) -> PublishedNotice:
        fields = {"title": title, "body": body, "signer": XINGTAI, "signed_on": run_date.isoformat()}
        return self("general", fields, XINGTAI, run_date, credit_code=XINGTAI_CODE, **kw)


@pytest.fixture
def rows(pub: Publication, users: Any) -> Rows:
    return Rows(pub, users("filer"))


def ids(result: search_service.SearchResult) -> list[int]:
    return [r.id for r in result.items]


@pytest.fixture
def three(rows: Rows) -> dict[str, PublishedNotice]:
    return {
        "termination": rows.termination(D1),
        "coop": rows.coop(D2),
        "xingtai": rows.xingtai(D3),
    }


# --- what each kind of query finds ----------------------------------------------------------------


def test_each_query_kind_finds_the_right_rows(three: dict[str, PublishedNotice]) -> None:
    t, c, x = three["termination"].id, three["coop"].id, three["xingtai"].id
    cases: list[tuple[dict[str, Any], list[int]]] = [
        ({"org": "中航钛业有限公司"}, [t]),  # a whole name
        ({"org": "九龙峡"}, [x]),  # part of a name
        ({"org": "钛业"}, [t]),  # two characters
        ({"org": "公司"}, [x, t]),  # two characters that end the name
        ({"q": "中航钛业"}, [t]),
        ({"q": "旅游"}, [x, c]),  # two characters in two names, newest first
        ({"code": ZHONGHANG["credit_code"]}, [t]),  # a whole credit code
        ({"code": ZHONGHANG["credit_code"].lower()}, [t]),
        ({"code": "MA3C4XY"}, [t]),  # part of one
        ({"code": "ma3c"}, [t]),
        ({"code": "３７０３０２ＮＡ"}, [c]),  # full-width, as a Chinese IME types it
        ({"code": COOP["reg_number"]}, [c]),  # a whole 注册号 (14 characters as printed)
        ({"code": "NA0002"}, [c]),
        ({"code": "91"}, [x, t]),  # two characters of a code
        ({"q": XINGTAI_CODE}, [x]),  # q covers codes too
        ({"q": "王鹏"}, [t]),  # a two-character name
        ({"q": "王"}, [t]),  # one character
        ({"q": "长期旷工，严重违反"}, [t]),  # across a comma: no word boundaries assumed
        ({"q": "不慎遗失营业执照"}, [c]),
        ({"q": "公章一枚"}, [x]),
        ({"q": "遗失 淄川"}, [c]),  # space-separated terms must all occur
        ({"q": "遗失 中航"}, []),
        ({"q": "钛业有限公司 王鹏"}, [t]),
        ({"q": "不存在的公司名称"}, []),
        ({"q": "营业执照", "kind": "lost_license"}, [c]),
        ({"q": "营业执照", "kind": "termination"}, []),
        ({"kind": "lost_license"}, [x, c]),
        ({"date_from": D2}, [x, c]),
        ({"date_to": D2}, [c, t]),
        ({"date_from": D2, "date_to": D2}, [c]),
        ({"q": "旅游", "date_from": D3}, [x]),
        ({"q": "公告", "date_to": D1, "kind": "termination"}, [t]),
        ({}, [x, c, t]),
    ]
    for query, expected in cases:
        result = search(**query)
        assert ids(result) == expected, query
        assert result.total == len(expected) and result.total_exact, query


def test_an_unmasked_id_number_finds_nothing(three: dict[str, PublishedNotice]) -> None:
    row = three["termination"]
    assert WANG_PENG_ID not in row.search_text and WANG_PENG_ID[:6] in row.web_text
    for query in (WANG_PENG_ID, WANG_PENG_ID[6:14], WANG_PENG_ID[4:12]):
        assert search(q=query).total == 0, query
        assert search(code=query).total == 0, query


def test_withdrawn_and_print_only_copies_never_match(rows: Rows) -> None:
    shown = rows.coop(date(2024, 5, 1))
    rows.termination(withdrawn="retention")
    rows.xingtai(withdrawn="print_only")
    assert ids(search()) == [shown.id]
    for query in (
        {"q": "王鹏"},
        {"q": "钛业"},
        {"org": XINGTAI},
        {"code": XINGTAI_CODE},
        {"kind": "termination"},
    ):
        assert search(**query).total == 0, query


def test_terminations_past_their_retention_period_never_match(
    rows: Rows, pub: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not public even before the daily withdrawal job has set withdrawn_at."""
    days = pub.termination_web_days
    old = rows.termination(TODAY - timedelta(days=days + 1))
    kept = rows.termination(TODAY - timedelta(days=days - 1))
    lost = rows.coop(TODAY - timedelta(days=days + 400))  # other kinds stay
    assert old.withdrawn_at is None
    for query in (
        {"q": "王鹏"},
        {"q": "钛业有限公司"},
        {"org": "钛业"},
        {"code": "MA3C"},
        {"kind": "termination"},
    ):
        assert ids(search(**query)) == [kept.id], query
    assert ids(search(code=ZHONGHANG["credit_code"])) == [kept.id]
    assert ids(search()) == [kept.id, lost.id]
    assert ids(search(q="公告")) == [kept.id]
    # A range that ends before the cut-off finds nothing; one across it, only what is public.
    cut = TODAY - timedelta(days=days)
    assert search(kind="termination", date_to=cut - timedelta(days=1)).total == 0
    assert ids(search(q="王鹏", kind="termination", date_from=old.run_date)) == [kept.id]
    monkeypatch.setattr(search_service, "PAIR_PROBE", 0)  # the LIKE path too
    assert ids(search(q="王鹏")) == [kept.id]


def test_order_paging_and_the_count_cap(rows: Rows, monkeypatch: pytest.MonkeyPatch) -> None:
    days = [date(2024, 1, d) for d in (3, 9, 9, 5, 20)]
    made = [rows.coop(d) for d in days]
    expected = [r.id for r in sorted(made, key=lambda r: (r.run_date, r.id), reverse=True)]
    for query in ({"q": "声明作废"}, {"q": "淄川"}, {"code": "NA"}, {"q": "淄"}, {}):
        assert [i for page in range(3) for i in ids(search(**query, limit=2, offset=2 * page))] == expected
        result = search(**query, limit=2, offset=2)
        assert result.total == 5 and result.total_exact and result.page == 2 and result.has_next
    # Past the cap the total is a lower bound and pages are read newest first: on PostgreSQL from
    # the newest rows read in order when they hold enough matches (RECENT_ROWS 5000), else
    # from the indexes (RECENT_ROWS 2: too few rows to settle the count).
    monkeypatch.setattr(search_service, "COUNT_CAP", 3)
    monkeypatch.setattr(search_service, "WALK_DAYS", 2)
    for recent_rows in (5000, 2):
        monkeypatch.setattr(search_service, "RECENT_ROWS", recent_rows)
        for query in ({"q": "声明作废"}, {"q": "淄川"}, {"q": "淄"}, {"kind": "lost_license"}, {}):
            first, second = search(**query, limit=2), search(**query, limit=2, offset=2)
            assert (first.total, first.total_exact, first.has_next) == (3, False, True), query
            assert ids(first) + ids(second) == expected[:4], query
            assert ids(search(**query, limit=2, offset=4)) == expected[4:], query


def test_common_pairs_and_single_characters_use_like(rows: Rows, monkeypatch: pytest.MonkeyPatch) -> None:
    made = rows.termination()
    monkeypatch.setattr(search_service, "PAIR_PROBE", 0)  # every pair counts as common
    assert ids(search(q="王鹏")) == [made.id]
    assert ids(search(org="钛业")) == [made.id]
    assert ids(search(code="MA")) == [made.id]
    assert search(q="鹏王").total == 0


def test_terms_with_punctuation_and_letters_match_as_typed(rows: Rows) -> None:
    """Punctuation inside a term (PostgreSQL: the pair index, not pg_trgm's words), letters in
    either case, with and without a date range (which takes the trigram path)."""
    made = rows.general("更名公告", "本公司（Zibo Tech）自即日起更名，联系电话不变。")
    other = rows.general("减资公告", "本公司联系电话变更。")
    for q in ("（Zibo", "zibo tech）", "ZIBO TECH）自", "更名，联系", "，联系电话"):
        assert ids(search(q=q)) == [made.id], q
        assert ids(search(q=q, date_from=made.run_date, date_to=made.run_date)) == [made.id], q
    assert ids(search(q="联系电话")) == sorted([made.id, other.id], reverse=True)
    assert search(q="更名，，联系").total == 0 and search(q="（zibo）").total == 0


def test_like_wildcards_in_queries_are_literal(rows: Rows) -> None:
    made = rows.general("减资公告", "本公司注册资本减少50%，即_半_。")
    for q in ("50%", "%", "_半_", "_", "50%，即"):
        assert ids(search(q=q)) == [made.id], q
    assert search(q="5_%").total == 0
    assert search(q='"半"').total == 0  # quotes are text, not FTS syntax


# --- the index follows the table --------------------------------------------------------------------


def test_the_index_follows_updates_deletes_and_withdrawals(rows: Rows) -> None:
    row = rows.termination()
    row.org_name = "中航新材料股份有限公司"
    row.search_text = compose_search_text(row.web_text, row.org_name, row.credit_code, None)
    db.session.commit()
    assert ids(search(org="新材料股份")) == [row.id]
    assert search(org="钛业有限公司").total == 0
    row.run_date = TODAY - timedelta(days=40)
    db.session.commit()
    assert ids(search(q="王鹏", date_to=TODAY - timedelta(days=35))) == [row.id]
    assert search(q="王鹏", date_from=TODAY - timedelta(days=35)).total == 0
    row.withdrawn_at, row.withdrawn_reason = utcnow(), "retention"
    db.session.commit()
    assert search(q="王鹏").total == 0
    row.withdrawn_at, row.withdrawn_reason = None, None  # back on the web
    db.session.commit()
    assert ids(search(q="王鹏")) == [row.id]
    row.kind = "general"
    db.session.commit()
    assert ids(search(q="王鹏", kind="general")) == [row.id]
    assert search(q="王鹏", kind="termination").total == 0
    db.session.delete(row)
    db.session.commit()
    assert search(q="王鹏").total == 0 and search().total == 0
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM published_notice_fts_terms")).scalar()
        assert left == 0  # nothing of the deleted row is left in the index


def test_migration_down_and_up_rebuilds_the_index(app: Flask, rows: Rows) -> None:
    from flask_migrate import downgrade, upgrade

    row_id = rows.termination().id
    db.session.remove()
    downgrade(revision="8a703344dc27")
    inspector = sa.inspect(db.engine)
    names = {ix["name"] for ix in inspector.get_indexes("published_notice")}
    assert "ix_published_notice_public_run_date" not in names
    assert not any(t.startswith("published_notice_fts") for t in inspector.get_table_names())
    upgrade()
    names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("published_notice")}
    assert "ix_published_notice_public_run_date" in names
    if db.engine.dialect.name == "postgresql":
        assert "ix_published_notice_search_text_trgm" in names
    assert ids(search(q="王鹏")) == [row_id]  # rows that existed before the upgrade are indexed
    assert ids(search(q="长期旷工")) == [row_id]


# --- the page and the API ----------------------------------------------------------------------------

PUBLIC_FIELDS = {
    "id",
    "kind",
    "title",
    "org_name",
    "credit_code",
    "reg_number",
    "run_date",
    "page",
    "web_text",
    "permalink",
}


def test_api_returns_masked_public_copies(client: FlaskClient, three: dict[str, PublishedNotice]) -> None:
    resp = client.get("/api/v1/public/notices", query_string={"q": "王鹏"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] == 1 and body["total_exact"] and not body["has_next"]
    (item,) = body["items"]
    assert set(item) == PUBLIC_FIELDS
    assert item["id"] == three["termination"].id and item["permalink"].endswith(f"/n/{item['id']}")
    assert "王鹏" in item["web_text"] and WANG_PENG_ID[:6] in item["web_text"]
    everything = client.get("/api/v1/public/notices", query_string={"per_page": 100}).get_data(as_text=True)
    assert WANG_PENG_ID not in everything and WANG_PENG_ID not in resp.get_data(as_text=True)
    paged = client.get("/api/v1/public/notices", query_string={"per_page": 2, "page": 2}).get_json()
    assert [i["id"] for i in paged["items"]] == [three["termination"].id] and paged["total"] == 3


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-05-08", "to": "2024-05-01"}, "to"),
        ({"kind": "obituary"}, "kind"),
        ({"page": "0"}, "page"),
        ({"per_page": "1000"}, "per_page"),
        ({"q": "字" * 201}, "q"),
    ],
)
def test_bad_arguments_are_422_with_reasons(client: FlaskClient, args: dict[str, str], field: str) -> None:
    resp = client.get("/api/v1/public/notices", query_string=args)
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]
    page = client.get("/search", query_string=args)
    assert page.status_code == 422 and "<form" in page.get_data(as_text=True)
    en = client.get("/api/v1/public/notices", query_string=args, headers={"Accept-Language": "en"})
    assert all(m.isascii() for m in en.get_json()["errors"][field])


def test_search_page_lists_results_with_masked_text(
    client: FlaskClient, three: dict[str, PublishedNotice]
) -> None:
    resp = client.get("/search", query_string={"q": "王鹏"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "public, max-age" in resp.headers["Cache-Control"]
    assert "中航钛业有限公司" in html and "<mark>王鹏</mark>" in html and "共 1 条" in html
    assert COOP["org_name"] not in html
    assert WANG_PENG_ID not in client.get("/search").get_data(as_text=True)
    assert "No notices match" in client.get("/search?q=nothing-like-this&lang=en").get_data(as_text=True)


QUERY_VALUES = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="王鹏钛业中航0123456789MAX%_\\\"'*: -", max_size=8),
    st.dates().map(str),
    st.integers(-5, 1000).map(str),
    st.sampled_from(["termination", "lost_license", "general", "", "2024-02-30", "2024-5-1", "١٢"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    args=st.dictionaries(
        st.sampled_from(["q", "org", "code", "kind", "from", "to", "page", "per_page"]), QUERY_VALUES
    )
)
def test_fuzzed_query_strings_never_500(client: FlaskClient, rows: Rows, args: dict[str, str]) -> None:
    if not db.session.scalar(sa.select(sa.func.count()).select_from(PublishedNotice)):
        rows.termination()
        rows.coop(D1)
    resp = client.get("/api/v1/public/notices", query_string=args)
    assert resp.status_code in (200, 422), (args, resp.get_data(as_text=True)[:300])
    body = resp.get_json()
    if resp.status_code == 422:
        assert body["errors"] and set(body["errors"]) <= set(args)
    else:
        assert all(set(item) == PUBLIC_FIELDS for item in body["items"])
        assert WANG_PENG_ID not in resp.get_data(as_text=True)


# --- through the real publishing path ----------------------------------------------------------------


@pytest.fixture
def _clean_published_files(app: Flask) -> Iterator[None]:
    from notices_app.services import publishing, storage

    shutil.rmtree(storage.path_of(publishing.PUBLISHED_DIR), ignore_errors=True)
    yield
    shutil.rmtree(storage.path_of(publishing.PUBLISHED_DIR), ignore_errors=True)


@pytest.mark.usefixtures("_clean_published_files")
def test_a_published_seed_edition_is_searchable(app: Flask, client: FlaskClient) -> None:
    from notices_app.services import publishing
    from notices_app.services.editions import build_edition

    assert app.test_cli_runner().invoke(args=["seed-demo", "--quiet"]).exit_code == 0
    edition = next(e for e in db.session.scalars(sa.select(Edition)) if e.plan.get("pages"))
    assert build_edition(edition.date).status == "succeeded"
    publishing.publish_edition(edition.date)
    found = client.get("/api/v1/public/notices", query_string={"q": "王鹏"}).get_json()
    assert [i["org_name"] for i in found["items"]] == ["中航钛业有限公司"]
    assert found["items"][0]["run_date"] == edition.date.isoformat()
    assert client.get("/api/v1/public/notices", query_string={"code": "370302NA"}).get_json()["total"] == 1
    assert WANG_PENG_ID not in client.get("/search?q=王鹏").get_data(as_text=True)
