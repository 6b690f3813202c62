"""order_rows.vat_code: the gestionale VAT code of a row taxed abroad (domain.md §8)

A row delivered to another EU country carries the destination's rate (One-Stop-Shop), or an
exemption (reverse charge, marketplace facilitator); the push reads the code stored here.
Existing rows keep NULL: their code is their Italian rate's, as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("order_rows", sa.Column("vat_code", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_rows") as table:
        table.drop_column("vat_code")
