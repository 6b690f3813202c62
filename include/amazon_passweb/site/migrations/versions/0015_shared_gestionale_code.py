"""customers.gestionale_code may be shared: the gestionale may know two site customers as one

The site tells buyers apart by email first; the gestionale looks a company up by its VAT number
first. Two colleagues of one company buying with their own emails are two site customers and one
gestionale customer: recording that customer's code on the second failed the unique constraint and
stopped the whole partial push. The code is now indexed, not unique.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as table:
        table.drop_constraint("uq_customers_gestionale_code", type_="unique")
        table.create_index("ix_customers_gestionale_code", ["gestionale_code"])


def downgrade() -> None:
    # fails, as it should, while two customers share a code
    with op.batch_alter_table("customers") as table:
        table.drop_index("ix_customers_gestionale_code")
        table.create_unique_constraint("uq_customers_gestionale_code", ["gestionale_code"])
