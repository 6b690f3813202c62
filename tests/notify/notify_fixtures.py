"""Sample reports shared by the report tests (the SMTP server they send to is tests/fixtures/mail.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from amazon_passweb.notify import ImportReport, OrderLine, Outcome, RunCounts, RunKind


def when(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=UTC)


def make_report(
    orders: tuple[OrderLine, ...] = (),
    counts: RunCounts | None = None,
    **overrides,
) -> ImportReport:
    fields = {
        "account_id": "it_main",
        "account_description": "Amazon Italia",
        "run_id": "manual__2026-11-27T10:00:00+00:00",
        "run_kind": RunKind.MANUAL,
        "window_start": when(26, 8),
        "window_end": when(27, 9),
        "watermark_before": when(26, 8),
        "watermark_after": when(27, 9),
        "counts": counts or RunCounts(),
        "orders": orders,
    }
    fields.update(overrides)
    return ImportReport(**fields)


@pytest.fixture
def busy_report() -> ImportReport:
    """Two imported orders, one incomplete AFN, one skipped, one failed."""
    orders = (
        OrderLine(
            "402-0000001-0000001",
            when(26, 9),
            Outcome.PUSHED,
            Decimal("1234.50"),
            "EUR",
            site_order_number="10001",
            gestionale_key="OX+2+15",
            customer_code="501.00042",
            customer_is_new=True,
            address_is_new=True,
        ),
        OrderLine(
            "402-0000002-0000002",
            when(26, 11),
            Outcome.CREATED,
            Decimal("19.90"),
            "EUR",
            site_order_number="10002",
            customer_code="501.00007",
            customer_is_new=False,
            address_is_new=True,
        ),
        OrderLine(
            "171-0000003-0000003",
            when(26, 12),
            Outcome.INCOMPLETE,
            Decimal("45.00"),
            "EUR",
            site_order_number="10003",
        ),
        OrderLine(
            "402-0000004-0000004",
            when(25),
            Outcome.SKIPPED,
            reason="già importato in un'esecuzione precedente",
        ),
        OrderLine(
            "402-0000005-0000005",
            when(27, 8),
            Outcome.FAILED,
            Decimal("7.00"),
            reason="SKU ABC-99 sconosciuto: nessun articolo con questo codice nel sito",
        ),
    )
    counts = RunCounts(fetched=9, selected=5, skipped=1, created=3, pushed=1, failed=1, incomplete=1)
    return make_report(orders, counts)
