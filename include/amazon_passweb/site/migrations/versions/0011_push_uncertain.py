"""orders.push_uncertain, push_uncertain_at: a create whose outcome is uncertain parks its order

A create (the order's customer, shipping address or document) whose answer was lost and that a search
then did not find may still be committed by the gestionale. The order records what it was and when that
POST was sent; later pushes search for it first and send it again only once the gestionale client's
``uncertain_wait_s`` has passed since then (gestionale/client.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("push_uncertain", sa.String(length=8), nullable=True))
    op.add_column("orders", sa.Column("push_uncertain_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as table:
        table.drop_column("push_uncertain_at")
        table.drop_column("push_uncertain")
