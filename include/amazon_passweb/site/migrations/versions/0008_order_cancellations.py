"""order_cancellations: Amazon's cancellations and buyers' requests of imported orders

One row per site order that Amazon cancelled, or whose buyer asked to cancel, after import
(domain.md §7). ``status`` ``pending`` is the intent to annul the gestionale document, written
before the request so that a retry or a crash applies it exactly once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same storage as amazon_passweb.site.types.UTCDateTime (self-contained, as in 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "order_cancellations",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("cancelled_at", UTC_DATETIME, nullable=True),
        sa.Column("settled_at", UTC_DATETIME, nullable=True),
        sa.Column("requested_at", UTC_DATETIME, nullable=True),
        sa.Column("request_reason", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_cancellations_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_cancellations")),
    )
    op.create_index(op.f("ix_order_cancellations_account_status"), "order_cancellations", ["account", "status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_order_cancellations_account_status"), table_name="order_cancellations")
    op.drop_table("order_cancellations")
