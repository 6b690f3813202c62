"""sku_mappings: a per-SKU shipping (spesa) article for each service level

The manual allows a SKU its own spesa article for standard and for express shipping.
``shipping_article_code`` stays the standard one; ``shipping_article_express_code`` is new.
Existing mappings had one code for both levels: it is copied, so nothing changes for them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sku_mappings", sa.Column("shipping_article_express_code", sa.String(length=32), nullable=True))
    op.execute("UPDATE sku_mappings SET shipping_article_express_code = shipping_article_code")


def downgrade() -> None:
    with op.batch_alter_table("sku_mappings") as table:
        table.drop_column("shipping_article_express_code")
