"""Every kind of the operator's message catalogue, rendered with hostile values, reads as its Italian text
and stays inert wherever the operator meets it: the report's HTML and text email, its CSV (with the
technical detail in its own column), the orders page, and the sync email.

Hostile values: HTML, a CSV formula (``=cmd|…``), control characters (NUL, ESC, CR/LF, a bidi override)
and very long text, in every value of a text and in its detail.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from string import Formatter

import pytest
from markupsafe import escape

from amazon_passweb.importer.sync import AccountResult, SyncReport, SyncStatus
from amazon_passweb.notify import ImportReport, OrderLine, Outcome, RunCounts, RunKind
from amazon_passweb.notify.csv_export import render_orders_csv
from amazon_passweb.notify.messages import DETAIL_LENGTH, TEXTS, VALUE_LENGTH, Kind, message, parameters
from amazon_passweb.notify.render import render_report_html, render_report_text
from amazon_passweb.notify.sync_email import build_sync_email
from amazon_passweb.site import InboxItem, InboxStatus
from amazon_passweb.site.records import QuotaUsage
from amazon_passweb.site.states import SyncType
from amazon_passweb.ui.queries import PAGE_SIZE

FORMULA = "=cmd|' /C calc'!A0"
MARKUP = "<img src=x onerror=alert(1)><script>alert('x')</script>"
CONTROLS = "\x00\x1b[31m\r\n\u202e\x85"
HOSTILE = f"{FORMULA} {MARKUP}{CONTROLS}" + "L" * 5000
DETAIL = f"{FORMULA} DocumentRefused: {MARKUP}{CONTROLS} response-detail" + "D" * 5000
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@")
ACCOUNT = "it_main"


def hostile(kind: Kind):
    return message(kind, detail=DETAIL, **dict.fromkeys(parameters(kind), HOSTILE))


def fixed_parts(kind: Kind) -> list[str]:
    """The catalogue's own words around the values: what must reach the operator whole."""
    return [literal for literal, _, _, _ in Formatter().parse(TEXTS[kind]) if literal.strip()]


def report_with(lines: list[OrderLine]) -> ImportReport:
    start = datetime(2026, 10, 26, 8, tzinfo=UTC)
    return ImportReport(
        account_id=ACCOUNT,
        account_description="Amazon Italia",
        run_id="manual__1",
        run_kind=RunKind.MANUAL,
        window_start=start,
        window_end=start,
        watermark_before=None,
        watermark_after=start,
        counts=RunCounts(fetched=len(lines), selected=len(lines), failed=len(lines)),
        orders=tuple(lines),
    )


@pytest.mark.parametrize("kind", list(Kind))
def test_the_italian_text_keeps_its_words_and_bounds_its_values(kind):
    reason = hostile(kind)
    assert reason.kind is kind
    for part in fixed_parts(kind):
        assert part in reason.text
    assert not UNSAFE.search(reason.text) and not UNSAFE.search(reason.detail)
    assert len(reason.text) <= len(TEXTS[kind]) + len(parameters(kind)) * VALUE_LENGTH
    assert len(reason.detail) == DETAIL_LENGTH and reason.detail.endswith("…")
    assert "response-detail" not in reason.text, "the technical detail never stands in the operator's text"


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_in_the_report_email_and_its_csv(kind):
    reason = hostile(kind)
    line = OrderLine(
        "402-0000001-0000001",
        datetime(2026, 10, 26, 9, tzinfo=UTC),
        Outcome.FAILED,
        reason=reason.text,
        detail=reason.detail,
    )
    report = report_with([line])

    html = render_report_html(report)
    assert str(escape(reason.text)) in html  # whole, escaped
    assert "<img" not in html and "<script>" not in html and not UNSAFE.search(html)
    assert "response-detail" not in html, "the detail stays out of the email body"

    text = render_report_text(report)
    assert f"- 402-0000001-0000001 del 26/10/2026 10:00: {reason.text}\n" in text
    assert not UNSAFE.search(text.replace("\n", "")) and "response-detail" not in text

    [header, row] = list(csv.reader(io.StringIO(render_orders_csv(report).decode("utf-8-sig")), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    expected = reason.text if not reason.text.startswith(FORMULA_START) else "'" + reason.text
    assert cells["Motivo"] == expected
    assert cells["Dettaglio tecnico"] == "'" + reason.detail  # the formula is guarded
    assert not any(cell.lstrip().startswith(FORMULA_START) for cell in row)
    assert not any(UNSAFE.search(cell) for cell in row)


@pytest.fixture
def operator(client, admin_cookie):
    client.cookies.update(admin_cookie)
    return client


def test_every_kind_on_the_orders_page(operator, store):
    """Each kind as the importer stores it (the inbox's last error and its detail), one order per kind."""
    ids = {kind: f"171-{index:07d}-0000001" for index, kind in enumerate(Kind)}
    with store.unit_of_work() as uow:
        for kind, amazon_order_id in ids.items():
            uow.inbox.upsert(
                ACCOUNT,
                InboxItem(amazon_order_id, datetime(2026, 10, 11, 9, tzinfo=UTC), {}, "APJ6JRA9NG5V4", "UNSHIPPED"),
            )
            reason = hostile(kind)
            uow.inbox.mark(
                ACCOUNT, amazon_order_id, InboxStatus.FAILED, run_id="run-1", message=reason.text, detail=reason.detail
            )

    # more kinds than a page holds: every page of the list
    pages = -(-len(ids) // PAGE_SIZE)
    html = "".join(operator.get("/orders", params={"state": "errori", "page": page}).text
                   for page in range(1, pages + 1))

    assert '<html lang="it">' in html
    assert "<img" not in html and "<script>alert" not in html and not UNSAFE.search(html)
    assert "response-detail" not in html, "the technical detail is for the log and the CSV, not the page"
    for kind in Kind:
        assert f'data-order="{ids[kind]}"' in html
        assert f'<span data-field="last-error">{escape(hostile(kind).text)}</span>' in html, kind


def test_the_sync_email_escapes_and_cleans_its_reasons():
    stopped = message(Kind.SYNC_INTERRUPTED, sync_type=HOSTILE, reason=message(Kind.GESTIONALE_UNAVAILABLE).text)
    failure = message(Kind.IMPORT_BEFORE_SYNC_FAILED, outcome=HOSTILE, run_id=HOSTILE, dag_id=HOSTILE)
    partial = message(Kind.SYNC_PARTIAL_INTERRUPTED, reason=HOSTILE)
    report = SyncReport(
        SyncType.CHANGED,
        "scheduled__1",
        SyncStatus.FAILED,
        stopped.text,
        QuotaUsage(month=date(2026, 10, 1), quota=30, used=3),
        accounts=(AccountResult(ACCOUNT, MARKUP + CONTROLS, failure.text),),
        errors=(partial.text,),
    )

    email = build_sync_email(report)

    assert email.text.startswith("Sincronizzazione ") and "interrotta. Gestionale non raggiungibile" in email.text
    assert f"importazione Amazon NON RIUSCITA ({failure.text})" in email.text
    assert partial.text in email.text
    assert not UNSAFE.search(email.text.replace("\n", ""))
    assert '<html lang="it">' in email.html
    assert "<img" not in email.html and "<script>" not in email.html and not UNSAFE.search(email.html)
    assert str(escape(failure.text)) in email.html and str(escape(MARKUP)) in email.html  # rendered by Jinja2
