"""search indexes

Substring search over published notices, Chinese included: no word segmentation, any run of
characters is findable (notices_app/services/search.py explains how short queries are answered).

SQLite: published_notice_fts, a contentless FTS5 table with the trigram tokenizer, holding only
public rows (withdrawn_at IS NULL), kept in step by triggers on every insert, update and delete.
Contentless rather than external-content because what it indexes is derived from the row:
- rowid = kind number << 59 | run_date as YYYYMMDD << 32 | id (kinds numbered 1 lost_license,
  2 termination, 3 general, 0 anything else), so within a kind FTS5's own rowid order is the
  result order (newest run date first, then id), and a kind with a date range is one rowid
  range: no join to sort, filter or count;
- each text column ends with a newline, so every pair of characters in the text starts some
  trigram and a two-character query can be answered from the index (fts5vocab).
published_notice_fts_terms (fts5vocab, 'instance') lists the index's trigrams.
NOTE for later revisions: a batch ("move and copy") migration of published_notice drops these
triggers with the old table; such a revision must create them again (tests/app/test_search.py
fails when the index stops following the table).

PostgreSQL: pg_trgm GIN indexes for ILIKE '%…%' on the text, the name and both codes. pg_trgm
treats CJK characters as word characters only under a UTF-8 LC_CTYPE (C.UTF-8, zh_CN.UTF-8 …);
under LC_CTYPE=C they yield no trigrams and these indexes cannot narrow Chinese queries.

Both: a partial index on (run_date, id) of the public rows, the order results are listed in; and
ix_notice_corrections, which the notice permalink page needs to find the corrections of a notice
without reading every notice. It is partial (corrects_id IS NOT NULL): almost every corrects_id
is NULL, and SQLite's statistics then rate a full index as useless and ignore it. None of these objects is in the models; notices_app.services.search.include_object keeps
autogenerate from proposing to drop them.

Revision ID: d0c9ba15f217
Revises: 8a703344dc27
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd0c9ba15f217'
down_revision = '8a703344dc27'
branch_labels = None
depends_on = None

FTS_COLUMNS = "search_text, org_name, codes"


def _fts_values(row):
    """The rowid and indexed values of a published_notice row (`new`, `old` or the table)."""
    kind = (
        f"CASE {row}.kind WHEN 'lost_license' THEN 1 WHEN 'termination' THEN 2 "
        f"WHEN 'general' THEN 3 ELSE 0 END"
    )
    return (
        f"({kind} << 59) | (CAST(strftime('%Y%m%d', {row}.run_date) AS INTEGER) << 32) | {row}.id, "
        f"{row}.search_text || char(10), "
        f"{row}.org_name || char(10), "
        f"coalesce({row}.credit_code, '') || char(10) || coalesce({row}.reg_number, '') || char(10)"
    )


# A contentless FTS5 table forgets a row when told the exact values it indexed.
_DELETE_OLD = f"""INSERT INTO published_notice_fts(published_notice_fts, rowid, {FTS_COLUMNS})
        SELECT 'delete', {_fts_values('old')} WHERE old.withdrawn_at IS NULL;"""
_INSERT_NEW = f"""INSERT INTO published_notice_fts(rowid, {FTS_COLUMNS})
        SELECT {_fts_values('new')} WHERE new.withdrawn_at IS NULL;"""

SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE published_notice_fts USING fts5(
        {FTS_COLUMNS}, content='', tokenize='trigram'
    )""",
    "CREATE VIRTUAL TABLE published_notice_fts_terms USING fts5vocab(published_notice_fts, 'instance')",
    f"CREATE TRIGGER published_notice_fts_ai AFTER INSERT ON published_notice BEGIN {_INSERT_NEW} END",
    f"CREATE TRIGGER published_notice_fts_ad AFTER DELETE ON published_notice BEGIN {_DELETE_OLD} END",
    # Only changes to what is indexed re-index (a page or image path change does not).
    f"""CREATE TRIGGER published_notice_fts_au
    AFTER UPDATE OF id, run_date, kind, withdrawn_at, search_text, org_name, credit_code, reg_number
    ON published_notice BEGIN {_DELETE_OLD} {_INSERT_NEW} END""",
    f"""INSERT INTO published_notice_fts(rowid, {FTS_COLUMNS})
    SELECT {_fts_values('published_notice')} FROM published_notice WHERE withdrawn_at IS NULL""",
    """CREATE INDEX ix_published_notice_public_run_date ON published_notice (run_date, id)
    WHERE withdrawn_at IS NULL""",
    "CREATE INDEX ix_notice_corrections ON notice (corrects_id) WHERE corrects_id IS NOT NULL",
]

SQLITE_DOWN = [
    "DROP INDEX IF EXISTS ix_notice_corrections",
    "DROP INDEX IF EXISTS ix_published_notice_public_run_date",
    "DROP TRIGGER IF EXISTS published_notice_fts_au",
    "DROP TRIGGER IF EXISTS published_notice_fts_ad",
    "DROP TRIGGER IF EXISTS published_notice_fts_ai",
    "DROP TABLE IF EXISTS published_notice_fts_terms",
    "DROP TABLE IF EXISTS published_notice_fts",
]

PG_TRGM_COLUMNS = ("search_text", "org_name", "credit_code", "reg_number")

POSTGRESQL_UP = [
    # Trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX ix_published_notice_{col}_trgm ON published_notice USING gin ({col} gin_trgm_ops)"
        for col in PG_TRGM_COLUMNS
    ),
    """CREATE INDEX ix_published_notice_public_run_date ON published_notice (run_date, id)
    WHERE withdrawn_at IS NULL""",
    "CREATE INDEX ix_notice_corrections ON notice (corrects_id) WHERE corrects_id IS NOT NULL",
]

# The extension stays: other objects may use it, and it holds no data.
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_notice_corrections",
    "DROP INDEX IF EXISTS ix_published_notice_public_run_date",
    *(f"DROP INDEX IF EXISTS ix_published_notice_{col}_trgm" for col in PG_TRGM_COLUMNS),
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRESQL_UP)


def downgrade():
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRESQL_DOWN)
