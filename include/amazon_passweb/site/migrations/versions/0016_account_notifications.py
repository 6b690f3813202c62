"""account_notifications: the Amazon ORDER_CHANGE notifications each account received

One row per account that listens to its SQS queue, written by each event run: when its last batch
arrived, the newest change Amazon named (EventTime), and how many notifications in all. The accounts
page shows it; no order or buyer data is kept here. ``asset_event_id``/``asset_event_at``: the newest
of Airflow's asset events (one per batch the triggerer read) an event run has consumed, so the next
event run reads every later one, also those Airflow's scheduler left without a run of their own.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same storage as amazon_passweb.site.types.UTCDateTime (self-contained, as in 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account_notifications",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("last_received_at", UTC_DATETIME, nullable=False),
        sa.Column("last_event_at", UTC_DATETIME, nullable=True),
        sa.Column("received_total", sa.Integer(), nullable=False),
        sa.Column("asset_event_id", sa.BigInteger(), nullable=True),
        sa.Column("asset_event_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_account_notifications")),
    )


def downgrade() -> None:
    op.drop_table("account_notifications")
