"""Search of published notices: organisation name, 统一社会信用代码 / 注册号 (exact or partial),
full text with Chinese substring matching, date range and kind. Only public web copies.

Chinese has no spaces between words, so every match is a substring match: a query term matches
wherever its characters occur in a row, never by word. Terms of three characters or more go
through the trigram indexes of the search-indexes migration (SQLite: the FTS5 trigram table
published_notice_fts; PostgreSQL: pg_trgm GIN indexes used by LIKE/ILIKE). A two-character term
(names such as 王鹏) has no trigram of its own: SQLite answers it from the same index (see
"queries" below), PostgreSQL from the pair index of the pair-index migration (which also serves
text terms with punctuation in them, where pg_trgm sees separate words); single characters
and very common pairs are matched with LIKE, which the date and kind filters, the LIMIT and the
run-date index keep bounded. Spaces in a query separate terms that must all match (`王鹏 2013`); they are
never assumed to exist in the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from notices_app.extensions import db
from notices_app.models import KINDS, PublishedNotice
from notices_app.rules.messages import Message, msg
from notices_app.services.errors import FieldErrors, NotFound

FTS_TABLE = "published_notice_fts"
MIN_TRIGRAM = 3  # FTS5 trigram and pg_trgm index nothing shorter
PAIR = 2  # PostgreSQL indexes two-character runs separately (pair-index migration)
MAX_TERMS = 6
MAX_QUERY_CHARS = 200
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 500  # deeper pages cost a scan each; narrow the query instead

# Objects the search-indexes migration creates outside the models (autogenerate must keep them):
# the FTS5 tables (published_notice_fts*, with their shadow tables) and these indexes.
SEARCH_INDEXES = frozenset(
    {
        "ix_published_notice_public_run_date",
        "ix_published_notice_search_text_trgm",
        "ix_published_notice_org_name_trgm",
        "ix_published_notice_credit_code_trgm",
        "ix_published_notice_reg_number_trgm",
        "ix_notice_corrections",  # notice.corrects_id, for the permalink page
        "ix_published_notice_search_text_pairs",  # PostgreSQL: two-character terms (pair-index migration)
    }
)

# Full-width letters and digits typed with a Chinese IME become ASCII; full-width punctuation
# stays as it is (the notices print it, so queries must keep it to match).
_FULLWIDTH_ALNUM = {
    c: c - 0xFEE0
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(r[0], r[1] + 1)
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class SearchParams:
    """A validated query: every field optional; `limit`/`offset` page through the results."""

    q: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    code: str | None = None
    org: str | None = None
    limit: int = DEFAULT_PER_PAGE
    offset: int = 0


@dataclass(frozen=True)
class SearchResult:
    """One page of public notices, newest run date first, and how many match in all."""

    items: list[PublishedNotice]
    total: int  # exact when total_exact, else "more than" this (COUNT_CAP)
    limit: int = DEFAULT_PER_PAGE
    offset: int = 0
    total_exact: bool = True

    @property
    def page(self) -> int:
        return self.offset // max(self.limit, 1) + 1

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total or (
            not self.total_exact and len(self.items) == self.limit
        )


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic autogenerate filter: skip the FTS5 tables and the search indexes of the
    search-indexes migration, which exist in the database but not in the models."""
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "table" and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in SEARCH_INDEXES)


def compose_search_text(web_text: str, org_name: str, credit_code: str | None, reg_number: str | None) -> str:
    """What full-text search indexes for a published notice: its (masked) web text, the
    organisation's name and codes. Never pass unmasked text: the index is public."""
    return "\n".join(part for part in (web_text, org_name, credit_code or "", reg_number or "") if part)


def normalise_text(s: str) -> str:
    """A query as typed → the form the stored text uses (ASCII letters/digits, no controls)."""
    s = s.translate(_FULLWIDTH_ALNUM).replace("\u3000", " ")
    return _CONTROL.sub(" ", s).strip()


def query_terms(s: str | None) -> list[str]:
    """The substrings a query asks for: its space-separated parts, each kept whole."""
    if not s:
        return []
    out: list[str] = []
    for term in normalise_text(s).split():
        if term not in out:
            out.append(term)
    return out[:MAX_TERMS]


def normalise_code(s: str) -> str:
    """A credit code or registration number as stored: NFKC, upper case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", _CONTROL.sub("", s)).upper().split())


# --- input ---------------------------------------------------------------------------------------


def _bad(field: str, m: Message, errors: dict[str, list[Message | str]]) -> None:
    errors.setdefault(field, []).append(m)


def _date_arg(args: Mapping[str, str], key: str, errors: dict[str, list[Message | str]]) -> date | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        _bad(key, msg("search.date", "日期格式应为 YYYY-MM-DD", "Dates are YYYY-MM-DD"), errors)
        return None


def _int_arg(
    args: Mapping[str, str], key: str, default: int, high: int, errors: dict[str, list[Message | str]]
) -> int:
    raw = (args.get(key) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= high:
        _bad(
            key,
            msg("search.int", "应为 1 至 {high} 的整数", "A whole number from 1 to {high}", high=high),
            errors,
        )
        return default
    return int(raw)


def parse_params(args: Mapping[str, str]) -> SearchParams:
    """Query-string arguments (q, kind, from, to, code, org, page, per_page) → SearchParams.

    Raises FieldErrors (by argument name) for an unknown kind, a malformed date, a range that ends
    before it starts, an over-long query or a page out of range.
    """
    errors: dict[str, list[Message | str]] = {}
    texts: dict[str, str | None] = {}
    for key in ("q", "code", "org"):
        raw = args.get(key) or ""
        if len(raw) > MAX_QUERY_CHARS:
            _bad(
                key,
                msg(
                    "search.long",
                    "查询内容过长(最多{n}字)",
                    "Query too long ({n} characters at most)",
                    n=MAX_QUERY_CHARS,
                ),
                errors,
            )
        texts[key] = raw or None
    kind = (args.get("kind") or "").strip() or None
    if kind is not None and kind not in KINDS:
        _bad("kind", msg("search.kind", "未知的公告类型", "Unknown notice kind"), errors)
    date_from = _date_arg(args, "from", errors)
    date_to = _date_arg(args, "to", errors)
    if date_from and date_to and date_to < date_from:
        _bad("to", msg("search.range", "结束日期早于开始日期", "The range ends before it starts"), errors)
    page = _int_arg(args, "page", 1, MAX_PAGE, errors)
    per_page = _int_arg(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, errors)
    if errors:
        raise FieldErrors(errors)
    return SearchParams(
        q=texts["q"],
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        code=texts["code"],
        org=texts["org"],
        limit=per_page,
        offset=(page - 1) * per_page,
    )


# --- queries -------------------------------------------------------------------------------------
#
# A query is answered in two steps. First up to COUNT_CAP + 1 matching rows are found in any
# order, which is cheap however common the terms are; if there are no more than COUNT_CAP, that
# is the exact total and the page is cut from them. Otherwise the total is reported as "more
# than COUNT_CAP" and the page is read newest first, walking the run-date index until it is full
# (common terms fill a page after a few rows; see _walk).
#
# SQLite: published_notice_fts (see the search-indexes migration) holds public rows only, keyed
# rowid = kind << 59 | YYYYMMDD << 32 | id, so a MATCH with one rowid range per kind answers
# text, kind and dates alone, each range already in result order. A two-character term is looked up among the index's trigrams that
# start with it (every pair of characters starts one: each column ends with a newline); a pair
# so common that this list would be long, and a single character, use LIKE instead, which such
# terms satisfy within the first rows of the walk.
# PostgreSQL: LIKE (ILIKE for terms with cased letters) served by the pg_trgm GIN indexes, and for
# two-character terms by the pair index; a single character has neither and LIKE reads rows (the
# table, or the run-date window). Before the indexes, the newest RECENT_ROWS rows are read in
# order (_recent_matches): a term found almost everywhere is settled there at a fixed cost.

COUNT_CAP = 1000
PAIR_PROBE = 3000  # index instances a two-character term may have and still use the index
_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1
_KIND_SHIFT = 59  # above YYYYMMDD << 32
_DATE_AND_ID = (1 << _KIND_SHIFT) - 1
_LAST_DAY = 99991231
# Kind numbers in the FTS5 rowid, as the migration's triggers compute them (0: any other kind).
KIND_NUMBERS = {"lost_license": 1, "termination": 2, "general": 3}
WALK_DAYS = 92  # the first window of a walk back through run dates
WALK_MAX_DAYS = 366  # … and the longest: a window full of matches is read whole
FULL_CODE = 18  # a whole 统一社会信用代码: compared by equality (btree)
FTS_TERMS = "published_notice_fts_terms"
RECENT_ROWS = 5000  # PostgreSQL: newest rows read in order before the trigram indexes are asked
RECENT_SAMPLE = 500  # … if this many of the newest rows hold matches enough to fill them

# Which published_notice columns, and which FTS5 column, each kind of term searches.
_SQL_COLUMNS = {"text": ("search_text",), "org": ("org_name",), "code": ("credit_code", "reg_number")}
_FTS_COLUMN = {"text": "search_text", "org": "org_name", "code": "codes"}


def fts_key(kind: str, run_date: date | None, notice_id: int = 0) -> int:
    """The FTS5 rowid of a published notice: its kind's number, run date (YYYYMMDD), then id.

    `run_date` None stands for "before any date" (with id 0) or "after any" (with _ID_MASK).
    """
    day = (0 if notice_id == 0 else _LAST_DAY) if run_date is None else int(run_date.strftime("%Y%m%d"))
    return (KIND_NUMBERS.get(kind, 0) << _KIND_SHIFT) | (day << _ID_BITS) | notice_id


@dataclass(frozen=True)
class _Term:
    field: str  # "text", "org" or "code"
    text: str


def _terms(params: SearchParams) -> tuple[list[_Term], str | None]:
    """The substrings asked for, and a whole 18-character code (matched by equality)."""
    terms = [_Term("text", t) for t in query_terms(params.q)]
    terms += [_Term("org", t) for t in query_terms(params.org)]
    code = normalise_code(params.code or "")
    if len(code) == FULL_CODE:
        return terms, code
    if code:
        terms.append(_Term("code", code))
    return terms, None


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like(
    term: _Term, dialect: str, rows: Any = PublishedNotice, indexed: bool = True, pairs_for_words: bool = True
) -> ColumnElement[bool]:
    """The term as LIKE over its columns of `rows` (the table, or a subquery of it); ILIKE on
    PostgreSQL when it has letters with case, except in the codes, which are stored in capitals
    and compared as normalise_code writes the query."""
    pattern = _like_pattern(term.text)
    # PostgreSQL's ILIKE folds every character of every row (slow on Chinese text); only a term
    # with letters needs it. SQLite's LIKE already ignores ASCII case. pg_trgm serves both.
    fold = dialect == "postgresql" and term.field != "code" and term.text.lower() != term.text.upper()
    out = []
    for name in _SQL_COLUMNS[term.field]:
        column: Any = getattr(rows, name)
        out.append(column.ilike(pattern, escape="\\") if fold else column.like(pattern, escape="\\"))
    by_pairs = len(term.text) == PAIR or (pairs_for_words and _splits_words(term))
    if indexed and dialect == "postgresql" and by_pairs:
        # search_text holds every column searched; its pair index narrows, strpos decides.
        # Longer terms go to the trigram indexes, except text with punctuation or spaces in it:
        # pg_trgm cuts the text into words there and finds almost every row for「彤，联系电」.
        # strpos, not LIKE: no trigram bitmap may join in, as its recheck would evaluate
        # notice_pairs row by row.
        pairs = sa.func.notice_pairs(rows.search_text, type_=postgresql.ARRAY(sa.Text))
        wanted = sa.cast(postgresql.array(term_pairs(term.text)), postgresql.ARRAY(sa.Text))
        found = []
        for name in _SQL_COLUMNS[term.field]:
            column = getattr(rows, name)
            haystack, needle = (sa.func.lower(column), term.text.lower()) if fold else (column, term.text)
            found.append(sa.func.strpos(haystack, needle) > 0)
        return sa.and_(pairs.op("@>")(wanted), sa.or_(*found))
    return sa.or_(*out)


def _splits_words(term: _Term) -> bool:
    """A text term that pg_trgm would cut into words: it holds a character that is not a letter,
    digit or ideograph (punctuation, a space)."""
    return term.field == "text" and not all(c.isalnum() for c in term.text)


def term_pairs(text: str) -> list[str]:
    """The distinct two-character runs of a term, lower-cased as the pair index stores them."""
    low = text.lower()
    return sorted({low[i : i + PAIR] for i in range(len(low) - 1)})


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fold(text: str) -> str:
    # The trigram tokenizer folds case; only one-to-one foldings are mirrored here.
    return "".join(lc if len(lc := c.lower()) == 1 else c for c in text)


def _pair_trigrams(term: _Term) -> list[str] | None:
    """The indexed trigrams of the term's column that start with its two characters, or None
    when the pair is too common for that to be the cheaper way."""
    low = _fold(term.text)
    rows = db.session.execute(
        sa.text(f"SELECT term, col FROM {FTS_TERMS} WHERE term >= :lo AND term < :hi LIMIT :n"),
        {"lo": low, "hi": low + "\U0010ffff", "n": PAIR_PROBE + 1},
    ).all()
    if len(rows) > PAIR_PROBE:
        return None
    column = _FTS_COLUMN[term.field]
    return sorted({t for t, col in rows if col == column})


@dataclass(frozen=True)
class _Plan:
    """How to run a search: an FTS5 MATCH (SQLite only), terms for (I)LIKE, a whole code to
    compare, or the certainty that nothing matches."""

    fts_match: str | None = None
    like_terms: tuple[_Term, ...] = ()
    code: str | None = None
    empty: bool = False


def _plan(params: SearchParams, dialect: str) -> _Plan:
    terms, code = _terms(params)
    if dialect != "sqlite":
        return _Plan(like_terms=tuple(terms), code=code)
    parts: list[str] = []
    like: list[_Term] = []
    for term in terms:
        column = _FTS_COLUMN[term.field]
        if len(term.text) >= MIN_TRIGRAM:
            parts.append(f"{column} : {_phrase(term.text)}")
        elif len(term.text) == 2 and (trigrams := _pair_trigrams(term)) is not None:
            if not trigrams:
                return _Plan(empty=True)
            parts.append(f"{column} : ({' OR '.join(_phrase(t) for t in trigrams)})")
        else:
            like.append(term)
    return _Plan(fts_match=" AND ".join(parts) or None, like_terms=tuple(like), code=code)


def _fts_where(match: str, low: int | None, high: int | None) -> list[ColumnElement[bool]]:
    rowid = sa.literal_column("rowid")
    where = [sa.literal_column(FTS_TABLE).op("MATCH")(sa.literal(match))]
    if low is not None:
        where.append(rowid >= low)
    if high is not None:
        where.append(rowid <= high)
    return where


def _fts_streams(
    plan: _Plan, params: SearchParams, retained_from: date | None
) -> list[list[ColumnElement[bool]]]:
    """The FTS5 conditions whose results together are the answer: one rowid range per kind, each
    already in result order. A termination copy past its web retention period is not public
    even before the daily withdrawal job has run: its kind's range starts at the cut-off."""
    assert plan.fts_match
    kinds = [params.kind] if params.kind else [*KIND_NUMBERS, ""]
    streams = []
    for kind in kinds:
        first = params.date_from
        if kind == "termination" and retained_from is not None:
            first = max(first, retained_from) if first else retained_from
        low, high = fts_key(kind, first), fts_key(kind, params.date_to, _ID_MASK)
        if low <= high:
            streams.append(_fts_where(plan.fts_match, low, high))
    return streams


def _run_fts(
    plan: _Plan, params: SearchParams, retained_from: date | None, limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """Everything asked is in the FTS5 table: count and page come from it alone."""
    rowid = sa.literal_column("rowid")
    streams = [
        sa.select(rowid).select_from(sa.table(FTS_TABLE)).where(*where)
        for where in _fts_streams(plan, params, retained_from)
    ]
    keys = [k for found in streams for k in db.session.scalars(found.limit(COUNT_CAP + 1)).all()]
    exact = len(keys) <= COUNT_CAP
    if not exact:
        keys = [
            k
            for found in streams
            for k in db.session.scalars(found.order_by(rowid.desc()).limit(offset + limit)).all()
        ]
    # Across kinds, result order is the key without its kind number.
    page = sorted(keys, key=lambda k: k & _DATE_AND_ID, reverse=True)[offset : offset + limit]
    return [k & _ID_MASK for k in page], len(keys) if exact else COUNT_CAP, exact


def _sql_where(
    params: SearchParams, plan: _Plan, dialect: str, retained_from: date | None
) -> list[ColumnElement[bool]]:
    where = _filters(params, plan, retained_from)
    if plan.fts_match:
        keys = sa.select(sa.literal_column("rowid").op("&")(_ID_MASK)).select_from(sa.table(FTS_TABLE))
        where.append(PublishedNotice.id.in_(keys.where(*_fts_where(plan.fts_match, None, None))))
    # With a date range, the trigram bitmap ANDs with the run-date index; PostgreSQL's estimates
    # for the pair index are too coarse for it to do the same, so punctuation goes by trigrams.
    dated = params.date_from is not None or params.date_to is not None
    where += [_like(t, dialect, pairs_for_words=not dated) for t in plan.like_terms]
    return where


def _filters(params: SearchParams, plan: _Plan, retained_from: date | None) -> list[ColumnElement[bool]]:
    """Everything but the substrings: public, retained, kind, dates, a whole code."""
    where: list[ColumnElement[bool]] = [PublishedNotice.withdrawn_at.is_(None)]
    if retained_from is not None:
        where.append(sa.or_(PublishedNotice.kind != "termination", PublishedNotice.run_date >= retained_from))
    if params.kind:
        where.append(PublishedNotice.kind == params.kind)
    if params.date_from:
        where.append(PublishedNotice.run_date >= params.date_from)
    if params.date_to:
        where.append(PublishedNotice.run_date <= params.date_to)
    if plan.code:
        where.append(
            sa.or_(PublishedNotice.credit_code == plan.code, PublishedNotice.reg_number == plan.code)
        )
    return where


def _public_run_date(newest: bool) -> date | None:
    order = PublishedNotice.run_date.desc() if newest else PublishedNotice.run_date.asc()
    return db.session.scalar(
        sa.select(PublishedNotice.run_date)
        .where(PublishedNotice.withdrawn_at.is_(None))
        .order_by(order)
        .limit(1)
    )


def _walk(params: SearchParams, where: Sequence[ColumnElement[bool]], need: int, trigrams: bool) -> list[int]:
    """The first `need` matching ids in result order, read window by window back from the newest
    run date (each window twice as long as the last), so that a term found all over the table
    but not lately costs a few index probes, not a read of every row between."""
    newest, oldest = _public_run_date(newest=True), _public_run_date(newest=False)
    if newest is None or oldest is None:
        return []
    high = min(newest, params.date_to) if params.date_to else newest
    first = max(oldest, params.date_from) if params.date_from else oldest
    span = WALK_DAYS
    ids: list[int] = []
    with _trigram_plans(where, use=trigrams):
        while len(ids) < need and high >= first:
            low = high - timedelta(days=span)
            ids += db.session.scalars(
                sa.select(PublishedNotice.id)
                .where(*where, PublishedNotice.run_date > low, PublishedNotice.run_date <= high)
                .order_by(PublishedNotice.run_date.desc(), PublishedNotice.id.desc())
                .limit(need - len(ids))
            ).all()
            high, span = low, min(span * 2, WALK_MAX_DAYS)
    return ids


@contextmanager
def _trigram_plans(where: Sequence[ColumnElement[bool]], use: bool = True) -> Iterator[None]:
    """On PostgreSQL, make the planner reach rows through bitmap scans (the trigram indexes).

    Its estimate for LIKE '%…%' is blind to how matches spread over time, so with a LIMIT it
    likes to read the table or the date index in order until enough rows match, which is slow
    whenever they are not where it starts. The trigram index instead hands over exactly the
    candidate rows. PostgreSQL has no per-query hints; SET LOCAL lasts for the transaction, so
    the defaults are put back afterwards.
    """
    if not use or db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
    try:
        yield
    finally:
        db.session.execute(sa.text("SET LOCAL enable_seqscan = on"))
        db.session.execute(sa.text("SET LOCAL enable_indexscan = on"))


def _recent_matches(
    params: SearchParams, plan: _Plan, dialect: str, retained_from: date | None, need: int
) -> list[int]:
    """PostgreSQL: up to `need` matching ids among the newest RECENT_ROWS rows that pass the other
    filters, in result order; fewer when the term is not common enough to find `need` there.

    A term found in most notices (template words such as 公司, 特此公告, a common region code)
    fills a page after a few rows read in run-date order, while the trigram indexes would first
    gather every one of its matches. Reading a bounded slice of the newest rows settles such a
    term at a fixed cost; a rarer term goes to the indexes. A sample of the newest RECENT_SAMPLE
    rows tells the two apart first, so a rare term pays for the sample only.
    """
    found = _newest_matching(params, plan, dialect, retained_from, need, RECENT_SAMPLE)
    if len(found) * RECENT_ROWS < need * RECENT_SAMPLE:
        return found
    return _newest_matching(params, plan, dialect, retained_from, need, RECENT_ROWS)


def _newest_matching(
    params: SearchParams, plan: _Plan, dialect: str, retained_from: date | None, need: int, read: int
) -> list[int]:
    recent = (
        sa.select(PublishedNotice)
        .where(*_filters(params, plan, retained_from))
        .order_by(PublishedNotice.run_date.desc(), PublishedNotice.id.desc())
        .limit(read)
        .subquery("recent")
    )
    rows = aliased(PublishedNotice, recent)
    return list(
        db.session.scalars(
            sa.select(rows.id)
            # LIKE alone: the pair condition is for the index, and costly on rows read in order.
            .where(*[_like(t, dialect, rows, indexed=False) for t in plan.like_terms])
            .order_by(rows.run_date.desc(), rows.id.desc())
            .limit(need)
        ).all()
    )


def _run_sql(
    params: SearchParams, plan: _Plan, dialect: str, retained_from: date | None, limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """Find up to COUNT_CAP + 1 rows in any order; walk the run-date order only if there are more."""
    # The newest matches in order (PostgreSQL): a prefix of the answer, whatever the total.
    recent: list[int] = []
    if dialect == "postgresql" and plan.like_terms and offset + limit <= COUNT_CAP:
        recent = _recent_matches(params, plan, dialect, retained_from, COUNT_CAP + 1)
        if len(recent) > COUNT_CAP:
            return recent[offset : offset + limit], COUNT_CAP, False
    where = _sql_where(params, plan, dialect, retained_from)
    # Index plans only when every term is indexed (PostgreSQL: runs of two characters or more;
    # SQLite's LIKE terms here are the unindexed ones): one more would read the whole index.
    shortest = PAIR if dialect == "postgresql" else MIN_TRIGRAM
    trigrams = bool(plan.like_terms) and all(len(t.text) >= shortest for t in plan.like_terms)
    with _trigram_plans(where, use=trigrams):
        found = db.session.execute(
            sa.select(PublishedNotice.id, PublishedNotice.run_date).where(*where).limit(COUNT_CAP + 1)
        ).all()
    if len(found) <= COUNT_CAP:
        ordered = sorted(found, key=lambda r: (r.run_date, r.id), reverse=True)
        return [r.id for r in ordered[offset : offset + limit]], len(found), True
    if len(recent) >= offset + limit:  # the newest rows already hold the page: no walk
        return recent[offset : offset + limit], COUNT_CAP, False
    return _walk(params, where, offset + limit, trigrams)[offset:], COUNT_CAP, False


def _load(ids: Sequence[int]) -> list[PublishedNotice]:
    if not ids:
        return []
    rows = db.session.scalars(sa.select(PublishedNotice).where(PublishedNotice.id.in_(ids))).all()
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def _retained_from() -> date | None:
    """Termination notices that ran before this date are past their web retention period."""
    from notices_app.services.notices import current_publication
    from notices_app.services.publishing import retention_cutoff

    try:
        return retention_cutoff(current_publication())
    except NotFound:
        return None


def run(params: SearchParams) -> SearchResult:
    """Run a validated search: one page of rows and the total (exact up to COUNT_CAP)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # The best plan depends on the pattern's value: never reuse a generic prepared plan.
        db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    limit = max(1, min(params.limit, MAX_PER_PAGE))
    offset = max(0, params.offset)
    plan = _plan(params, dialect)
    if plan.empty:
        return SearchResult(items=[], total=0, limit=limit, offset=offset)
    retained_from = _retained_from()
    if params.kind == "termination" and retained_from is not None:
        # Only terminations since the cut-off are public: asking for older ones finds nothing,
        # and the range starts there (the database cannot tell the filters exclude each other).
        first = max(params.date_from or retained_from, retained_from)
        if params.date_to is not None and params.date_to < first:
            return SearchResult(items=[], total=0, limit=limit, offset=offset)
        params = replace(params, date_from=first)
    if plan.fts_match and not plan.like_terms and not plan.code:
        ids, total, exact = _run_fts(plan, params, retained_from, limit, offset)
    else:
        ids, total, exact = _run_sql(params, plan, dialect, retained_from, limit, offset)
    return SearchResult(items=_load(ids), total=total, limit=limit, offset=offset, total_exact=exact)


def search(
    q: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    code: str | None = None,
    org: str | None = None,
    limit: int = DEFAULT_PER_PAGE,
    offset: int = 0,
) -> SearchResult:
    """Public notices matching every criterion given, newest run date first (then newest id).

    `q` finds a substring of the notice text, the organisation's name or its codes; `org` of the
    name only; `code` a whole 统一社会信用代码 / 注册号 or any part of one. Spaces in `q` or
    `org` separate substrings that must all occur. Withdrawn and print-only copies, and termination
    copies past their web retention period, never match.
    The total is exact up to COUNT_CAP; beyond that `total_exact` is False.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return run(SearchParams(q, kind, date_from, date_to, code, org, limit, offset))
