"""customers: the identity key for every customer, also those known by email

A buyer first seen with an email and later without one must be found again by
the fallback identity (VAT / company / name + postcode + street): customers
found or created by email now carry it too. Several customers with an email may
share an identity, so ``identity_hash`` is no longer unique; it stays unique
among customers without email, which it alone identifies. Customers created
before this revision get their identity from their next order with an email.

Downgrade: the identities of customers with an email are cleared first (the
unique constraint of 0001 could not hold them).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHOUT_EMAIL = sa.text("email_hash IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("customers") as table:
        table.drop_constraint(op.f("uq_customers_identity_hash"), type_="unique")
    op.create_index(op.f("ix_customers_identity_hash"), "customers", ["identity_hash"])
    op.create_index(
        "uq_customers_identity_hash_without_email",
        "customers",
        ["identity_hash"],
        unique=True,
        sqlite_where=WITHOUT_EMAIL,
        postgresql_where=WITHOUT_EMAIL,
    )


def downgrade() -> None:
    op.drop_index("uq_customers_identity_hash_without_email", table_name="customers")
    op.drop_index(op.f("ix_customers_identity_hash"), table_name="customers")
    op.execute(sa.text("UPDATE customers SET identity_hash = NULL WHERE email_hash IS NOT NULL"))
    with op.batch_alter_table("customers") as table:
        table.create_unique_constraint(op.f("uq_customers_identity_hash"), ["identity_hash"])
