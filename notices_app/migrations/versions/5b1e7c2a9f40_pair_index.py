"""pair index for two-character searches on PostgreSQL

pg_trgm indexes runs of three characters, so a two-character term (a name such as 王鹏, a
place such as 淄川) had no index on PostgreSQL and LIKE read every row. This adds
notice_pairs(text): the distinct two-character runs of a text, lower-cased, as an array, and a
GIN index over the pairs of each public row's search_text (which holds the web text, the
organisation's name and its codes). A two-character term is then found as `notice_pairs(…) @>
ARRAY[term]` and checked on its own column. The same index serves text terms that hold
punctuation or spaces (「彤，联系电」), which pg_trgm cuts into words: it then finds nearly every
row, while the term's pairs find few. SQLite answers such terms from its FTS5 trigram index (see
the search-indexes migration); nothing changes there.

Revision ID: 5b1e7c2a9f40
Revises: d2a7aaca8694
Create Date: 2026-11-26 13:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b1e7c2a9f40'
down_revision = 'd2a7aaca8694'
branch_labels = None
depends_on = None

POSTGRESQL_UP = [
    """CREATE FUNCTION notice_pairs(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}'::text[])
        FROM generate_series(1, char_length(t) - 1) AS i
    $$""",
    """CREATE INDEX ix_published_notice_search_text_pairs ON published_notice
    USING gin (notice_pairs(search_text)) WHERE withdrawn_at IS NULL""",
]

POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_published_notice_search_text_pairs",
    "DROP FUNCTION IF EXISTS notice_pairs(text)",
]


def upgrade():
    if op.get_context().dialect.name == "postgresql":
        for statement in POSTGRESQL_UP:
            op.execute(statement)


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWN:
            op.execute(statement)
