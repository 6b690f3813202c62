"""site_settings: named values about the database itself, first the PII key's fingerprint

``pii_key_fingerprint`` names the key that encrypted the buyer data (``crypto.key_fingerprint``:
HMAC-SHA256 of a constant with the key, truncated; it reveals nothing usable). It is recorded by
the first opening of the store with a key and checked by every later one (``site/key_check.py``),
so a database is never written with two keys. Existing databases get it at their next opening,
once the key has decrypted their data.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same storage as amazon_passweb.site.types.UTCDateTime (self-contained, as in 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "site_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_settings")),
    )


def downgrade() -> None:
    op.drop_table("site_settings")
