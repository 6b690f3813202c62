"""shipment confirmation: each order row's Amazon orderItemId, and the packages told to Amazon

- ``order_rows.order_item_id``: Amazon's ``orderItemId`` of an article row, stored at import (a
  package names the items it carries by it). Rows imported before this revision have none: their
  orders are never confirmed by the product (the shipment is listed as not matched);
- ``shipments``: one row per delivery document of the gestionale and order it evades. Its ``id`` is
  the ``packageReferenceId`` sent to Amazon: written before the call, so a retry after a lost answer
  re-sends the same id, which Amazon treats as an edit of the same package, never a second one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # as amazon_passweb.site.types.UTCDateTime


def upgrade() -> None:
    op.add_column("order_rows", sa.Column("order_item_id", sa.String(length=64), nullable=True))
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("delivery_key", sa.String(length=64), nullable=False),
        sa.Column("order_key", sa.String(length=64), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("carrier_code", sa.String(length=32), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("shipped_at", UTC_DATETIME, nullable=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("matched_by", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("delivery_key", "order_key", name=op.f("uq_shipments_delivery_key_order_key")),
    )
    op.create_index(op.f("ix_shipments_order_id"), "shipments", ["order_id"])
    op.create_index(op.f("ix_shipments_account_status"), "shipments", ["account", "status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_shipments_account_status"), table_name="shipments")
    op.drop_index(op.f("ix_shipments_order_id"), table_name="shipments")
    op.drop_table("shipments")
    with op.batch_alter_table("order_rows") as table:
        table.drop_column("order_item_id")
