"""gestionale customers and accessory tables in the site; where the last sync began, in gestionale time

A changed or total sync brings into the site, besides the articles, the gestionale's customers and
the accessory tables the product uses (domain.md §6):

- ``gestionale_customers``: code, kind and the lookup hashes (email, a company's VAT identity), no
  readable personal data;
- ``gestionale_table_rows``: VAT exemptions, payments and currencies with their published fields;
- ``sync_runs.gestionale_time``: the gestionale's clock when a changed/total sync began reading, so
  the next changed sync knows since when. Runs before this revision have none: the first sync after
  it brings everything (a total one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same storage as amazon_passweb.site.types.UTCDateTime (self-contained, as in 0001).
UTC_DATETIME = sa.DateTime(timezone=True)
HASH = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "gestionale_customers",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("email_hash", HASH, nullable=True),
        sa.Column("identity_hash", HASH, nullable=True),
        sa.Column("changed_at", sa.String(length=15), nullable=True),
        sa.Column("synced_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_gestionale_customers")),
    )
    op.create_index(op.f("ix_gestionale_customers_email_hash"), "gestionale_customers", ["email_hash"])
    op.create_index(op.f("ix_gestionale_customers_identity_hash"), "gestionale_customers", ["identity_hash"])
    op.create_table(
        "gestionale_table_rows",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("synced_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("table_name", "row_key", name=op.f("pk_gestionale_table_rows")),
    )
    op.add_column("sync_runs", sa.Column("gestionale_time", sa.String(length=15), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as table:
        table.drop_column("gestionale_time")
    op.drop_table("gestionale_table_rows")
    op.drop_index(op.f("ix_gestionale_customers_identity_hash"), table_name="gestionale_customers")
    op.drop_index(op.f("ix_gestionale_customers_email_hash"), table_name="gestionale_customers")
    op.drop_table("gestionale_customers")
