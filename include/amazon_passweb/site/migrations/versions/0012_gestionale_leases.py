"""gestionale_leases: the exclusive right to write to the gestionale, one row per WebAPI user

Two pushes writing with the same WebAPI user at once could both search for an order, a customer or
an address, find nothing and both create it. Every write path first takes this row (a conditional
upsert on its primary key), renews it while it runs and deletes it at its end; a holder that stops
renewing loses it at ``expires_at`` (importer/write_lease.py). The key is a hash of the user's
identity (server, dominio, azienda, login), never the password.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same storage as amazon_passweb.site.types.UTCDateTime (self-contained, as in 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gestionale_leases",
        sa.Column("lease_key", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=250), nullable=False),
        sa.Column("acquired_at", UTC_DATETIME, nullable=False),
        sa.Column("renewed_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("lease_key", name=op.f("pk_gestionale_leases")),
    )


def downgrade() -> None:
    op.drop_table("gestionale_leases")
