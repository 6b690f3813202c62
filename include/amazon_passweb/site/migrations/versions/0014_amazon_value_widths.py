"""Room for what Amazon may send: an address's country as given, unit prices as large as totals

PostgreSQL enforces column widths that SQLite ignores: a delivery address whose ``countryCode`` is a
country's name (``ITALIA``) or an item priced at a trillion failed the insert of the whole batch of
orders there, while SQLite stored it. ``addresses.country_code`` takes any length (the gestionale
mapping cuts ``cod_paese`` to 2 with a warning) and ``order_rows.unit_price_gross`` the same
integer digits as the amounts (NUMERIC(20, 6): below 10^14). Larger amounts fail their own order
(``importer.order_builder``). SQLite stores both as text: nothing changes there.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _exact_decimal(precision: int, scale: int) -> sa.types.TypeEngine:
    return sa.Numeric(precision, scale).with_variant(sa.String(40), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("addresses") as table:
        table.alter_column("country_code", type_=sa.String(), existing_type=sa.String(2), existing_nullable=True)
    with op.batch_alter_table("order_rows") as table:
        table.alter_column("unit_price_gross", type_=_exact_decimal(20, 6), existing_type=_exact_decimal(18, 6),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("order_rows") as table:
        table.alter_column("unit_price_gross", type_=_exact_decimal(18, 6), existing_type=_exact_decimal(20, 6),
                           existing_nullable=False)
    with op.batch_alter_table("addresses") as table:
        table.alter_column("country_code", type_=sa.String(2), existing_type=sa.String(), existing_nullable=True)
