"""orders.life_ended_at: when an order's life ended, the start of buyer-data retention (domain.md §7)

Set by the flows that end it: the shipment step (Amazon's packages DELIVERED, or the confirmed
shipment date + ``delivery_margin_days``) and the cancellation flow (Annullato). Existing orders get
the date the purge used to infer: their delivery date, else the last change of a cancelled,
refunded or shipped one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("life_ended_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_orders_life_ended_at", "orders", ["life_ended_at"])
    op.execute(
        "UPDATE orders SET life_ended_at = COALESCE(delivered_at, updated_at) "
        "WHERE delivered_at IS NOT NULL OR state IN ('Annullato', 'Rimborsato', 'Spedito') "
        "OR amazon_status_latest = 'SHIPPED'"
    )


def downgrade() -> None:
    op.drop_index("ix_orders_life_ended_at", table_name="orders")
    with op.batch_alter_table("orders") as table:
        table.drop_column("life_ended_at")
