"""API tokens expire

Every token gets `expires_at` (`flask tokens create EMAIL --days N`, 90 days by default); the
app refuses a token past it, as it refuses a revoked one. Tokens made before this revision had
no end: they get 90 days from the upgrade rather than from their creation, so that a bulk
filer's script does not stop overnight; `flask tokens list EMAIL` shows them, and
`flask tokens revoke EMAIL --all` ends them sooner.

Revision ID: c4e8f1a2b3d5
Revises: 5b1e7c2a9f40
Create Date: 2026-12-14 10:00:00.000000

"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import notices_app.models.base

# revision identifiers, used by Alembic.
revision = 'c4e8f1a2b3d5'
down_revision = '5b1e7c2a9f40'
branch_labels = None
depends_on = None

GRACE_DAYS = 90


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', notices_app.models.base.UTCDateTime(timezone=True), nullable=True))

    token = sa.table('api_token', sa.column('expires_at', notices_app.models.base.UTCDateTime(timezone=True)))
    ends = datetime.now(UTC) + timedelta(days=GRACE_DAYS)
    op.get_bind().execute(token.update().where(token.c.expires_at.is_(None)).values(expires_at=ends))

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=notices_app.models.base.UTCDateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
