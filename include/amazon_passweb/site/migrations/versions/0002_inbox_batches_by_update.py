"""inbox: batches by status in update order

The import steps page through an account's entries in one status, oldest
update first, from where the last batch ended. An index on (account, status,
last_update, id) answers each batch in its own size; the old (account, status)
index made every batch sort all the remaining entries, quadratic in the inbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_inbox_account_status_last_update_id"), "inbox",
                    ["account", "status", "last_update", "id"])
    op.drop_index(op.f("ix_inbox_account_status"), table_name="inbox")


def downgrade() -> None:
    op.create_index(op.f("ix_inbox_account_status"), "inbox", ["account", "status"])
    op.drop_index(op.f("ix_inbox_account_status_last_update_id"), table_name="inbox")
