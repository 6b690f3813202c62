"""inbox, inbox_history: the technical detail next to the operator's message

The operator reads an Italian reason (``last_error``, ``message``); the technical
detail it came with (an exception's text, the gestionale's response) is kept in
its own column for the task log and the report's CSV, never in place of it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("last_error_detail", sa.Text(), nullable=True))
    op.add_column("inbox_history", sa.Column("detail", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_history") as table:
        table.drop_column("detail")
    with op.batch_alter_table("inbox") as table:
        table.drop_column("last_error_detail")
