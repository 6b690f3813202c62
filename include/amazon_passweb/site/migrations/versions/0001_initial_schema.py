"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: a migration must not change when the models do.
# Same storage as amazon_passweb.site.types (UTCDateTime, ExactDecimal).
UTC_DATETIME = sa.DateTime(timezone=True)


def exact_decimal(precision: int, scale: int) -> sa.types.TypeEngine:
    return sa.Numeric(precision, scale).with_variant(sa.String(40), "sqlite")


# Partial unique indexes: one running import per account, one running changed/total sync.
RUNNING = sa.text("outcome = 'running'")
EXCLUSIVE_RUNNING = sa.text("outcome = 'running' AND sync_type IN ('changed', 'total')")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_state",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("watermark", UTC_DATETIME, nullable=True),
        sa.Column("watermark_set_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_account_state")),
    )
    op.create_table(
        "articles",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("vat_rate", sa.String(length=8), nullable=True),
        sa.Column("is_spesa", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_articles")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("source_account", sa.String(length=64), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("identity_hash", sa.String(length=64), nullable=True),
        sa.Column("email_enc", sa.LargeBinary(), nullable=True),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("company_enc", sa.LargeBinary(), nullable=True),
        sa.Column("vat_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("fiscal_code_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("can_login", sa.Boolean(), nullable=False),
        sa.Column("gestionale_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("pii_purged_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("email_hash", name=op.f("uq_customers_email_hash")),
        sa.UniqueConstraint("gestionale_code", name=op.f("uq_customers_gestionale_code")),
        sa.UniqueConstraint("identity_hash", name=op.f("uq_customers_identity_hash")),
    )
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("window_start", UTC_DATETIME, nullable=True),
        sa.Column("window_end", UTC_DATETIME, nullable=True),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("pushed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_index(op.f("ix_import_runs_account"), "import_runs", ["account"])
    op.create_index(
        "uq_import_runs_one_running",
        "import_runs",
        ["account"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )

    op.create_table(
        "inbox_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amazon_order_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_history")),
    )
    op.create_index(
        op.f("ix_inbox_history_account_amazon_order_id"), "inbox_history", ["account", "amazon_order_id"]
    )
    op.create_index(op.f("ix_inbox_history_account_run_id"), "inbox_history", ["account", "run_id"])

    op.create_table(
        "order_number_counters",
        sa.Column("sezionale", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sezionale", name=op.f("pk_order_number_counters")),
    )
    op.create_table(
        "sku_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("seller_sku", sa.String(length=64), nullable=False),
        sa.Column("article_code", sa.String(length=32), nullable=False),
        sa.Column("shipping_article_code", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_mappings")),
        sa.UniqueConstraint("account", "seller_sku", name=op.f("uq_sku_mappings_account_seller_sku")),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sync_type", sa.String(length=8), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(op.f("ix_sync_runs_started_at"), "sync_runs", ["started_at"])
    op.create_index(
        "uq_sync_runs_one_exclusive",
        "sync_runs",
        ["outcome"],
        unique=True,
        sqlite_where=EXCLUSIVE_RUNNING,
        postgresql_where=EXCLUSIVE_RUNNING,
    )

    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("line1_enc", sa.LargeBinary(), nullable=True),
        sa.Column("line2_enc", sa.LargeBinary(), nullable=True),
        sa.Column("postal_code_enc", sa.LargeBinary(), nullable=True),
        sa.Column("city_enc", sa.LargeBinary(), nullable=True),
        sa.Column("province_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("gestionale_address_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("pii_purged_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
        sa.UniqueConstraint("customer_id", "key_hash", name=op.f("uq_addresses_customer_id_key_hash")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("marketplace_id", sa.String(length=16), nullable=False),
        sa.Column("amazon_order_id", sa.String(length=32), nullable=False),
        sa.Column("sezionale", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sigla", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("fulfillment", sa.String(length=3), nullable=False),
        sa.Column("amazon_status_at_import", sa.String(length=32), nullable=False),
        sa.Column("amazon_status_latest", sa.String(length=32), nullable=False),
        sa.Column("purchase_date", UTC_DATETIME, nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("shipping_address_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_gross", exact_decimal(18, 4), nullable=False),
        sa.Column("gestionale_document_key", sa.String(length=64), nullable=True),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.Column("pii_purged_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["shipping_address_id"], ["addresses.id"], name=op.f("fk_orders_shipping_address_id_addresses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("account", "amazon_order_id", name=op.f("uq_orders_account_amazon_order_id")),
        sa.UniqueConstraint("sezionale", "number", name=op.f("uq_orders_sezionale_number")),
    )
    op.create_index(op.f("ix_orders_account_state"), "orders", ["account", "state"])
    op.create_index(op.f("ix_orders_delivered_at"), "orders", ["delivered_at"])
    op.create_index(op.f("ix_orders_customer_id"), "orders", ["customer_id"])
    op.create_index(op.f("ix_orders_shipping_address_id"), "orders", ["shipping_address_id"])

    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amazon_order_id", sa.String(length=32), nullable=False),
        sa.Column("marketplace_id", sa.String(length=16), nullable=True),
        sa.Column("amazon_status", sa.String(length=32), nullable=True),
        sa.Column("last_update", UTC_DATETIME, nullable=False),
        sa.Column("payload_enc", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("shipping_address_id", sa.Integer(), nullable=True),
        sa.Column("customer_new", sa.Boolean(), nullable=False),
        sa.Column("address_new", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_inbox_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_inbox_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shipping_address_id"],
            ["addresses.id"],
            name=op.f("fk_inbox_shipping_address_id_addresses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("account", "amazon_order_id", name=op.f("uq_inbox_account_amazon_order_id")),
    )
    op.create_index(op.f("ix_inbox_account_status"), "inbox", ["account", "status"])

    op.create_table(
        "order_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("article_code", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", exact_decimal(18, 4), nullable=False),
        sa.Column("unit_price_gross", exact_decimal(18, 6), nullable=False),
        sa.Column("vat_rate", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_rows_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_rows")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_rows_order_id_line_no")),
    )


def downgrade() -> None:
    op.drop_table("order_rows")
    op.drop_table("inbox")
    op.drop_table("orders")
    op.drop_table("addresses")
    op.drop_table("sync_runs")
    op.drop_table("sku_mappings")
    op.drop_table("order_number_counters")
    op.drop_table("inbox_history")
    op.drop_table("import_runs")
    op.drop_table("customers")
    op.drop_table("articles")
    op.drop_table("account_state")
