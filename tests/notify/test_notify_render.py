"""The report's HTML, text, CSV and subject: content, escaping, personal data, when to send."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from notify_fixtures import make_report, when

from amazon_passweb.notify import (
    OrderLine,
    Outcome,
    RunCounts,
    build_subject,
    render_orders_csv,
    render_report_html,
    render_report_text,
    should_send,
)
from amazon_passweb.notify.csv_export import HEADER
from amazon_passweb.notify.sanitize import clean_text, guard_csv_cell

SCRIPT = "<script>alert('x')</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
RTL_OVERRIDE = "\u202e"
CONTROLS = "\x00\x07\x1b[31m\x7f\x85"
HOSTILE = f"{SCRIPT}{ATTRIBUTE_BREAKOUT} ordine ‘x’ 😀 שלום{RTL_OVERRIDE}gpj.exe{CONTROLS}\r\nBcc: x@evil"
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
EMAIL_TEMPLATE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h2",
    "h3",
    "p",
    "strong",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "bdi",
    "ul",
    "li",
    "br",
}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def hostile_report():
    orders = (
        OrderLine(
            HOSTILE,
            when(26),
            Outcome.PUSHED,
            Decimal("10"),
            "EUR",
            site_order_number=HOSTILE,
            gestionale_key=HOSTILE,
            customer_code=HOSTILE,
            customer_is_new=True,
            address_is_new=False,
        ),
        OrderLine('=HYPERLINK("http://evil")', when(26, 11), Outcome.FAILED, reason=HOSTILE),
        OrderLine("+1+2", when(26, 12), Outcome.SKIPPED, reason="-2+3"),
        OrderLine("@SUM(A1)", when(26, 13), Outcome.SKIPPED, reason="＝1+1"),
    )
    return make_report(
        orders,
        RunCounts(fetched=4, selected=4, created=1, pushed=1, skipped=2, failed=1),
        account_description=HOSTILE,
        run_id=HOSTILE,
        failed_accounts=(HOSTILE,),
        notes=(HOSTILE,),
    )


def test_hostile_values_are_escaped_in_html():
    html = render_report_html(hostile_report())

    parser = TagCollector()
    parser.feed(html)
    assert parser.tags <= EMAIL_TEMPLATE_TAGS  # no <script>, no <img> smuggled in
    assert not {name for name in parser.attributes if name.startswith("on")}
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#34;&gt;&lt;img" in html
    assert not UNSAFE_CHARACTERS.search(html)
    assert "😀 שלום" in html  # emoji and right-to-left text survive; only the override goes


def test_hostile_values_are_cleaned_in_text():
    text = render_report_text(hostile_report())

    assert not UNSAFE_CHARACTERS.search(text)
    assert "\nBcc:" not in text  # a value cannot start a line of its own
    assert f"{SCRIPT}{ATTRIBUTE_BREAKOUT} ordine ‘x’ 😀 שלום gpj.exe" in text


def read_csv(report) -> list[list[str]]:
    content = render_orders_csv(report)
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_csv_guards_formulas_and_strips_control_characters():
    rows = read_csv(hostile_report())
    header, body = rows[0], rows[1:]
    cells = [cell for row in body for cell in row]

    assert tuple(header) == HEADER
    assert len(body) == 4
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'+1+2" in cells and "'-2+3" in cells and "'@SUM(A1)" in cells and "'＝1+1" in cells
    assert not any(cell.lstrip().startswith(("=", "+", "-", "@", "＝")) for cell in cells)
    assert not any(UNSAFE_CHARACTERS.search(cell) for cell in cells)


def test_csv_lists_every_order_with_italian_numbers(busy_report):
    rows = read_csv(busy_report)
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}

    assert list(by_id) == [  # oldest purchase first
        "402-0000004-0000004",
        "402-0000001-0000001",
        "402-0000002-0000002",
        "171-0000003-0000003",
        "402-0000005-0000005",
    ]
    pushed = by_id["402-0000001-0000001"]
    assert pushed["Totale"] == "1234,50"
    assert pushed["Documento gestionale"] == "OX+2+15"  # a key, not at the cell start: left as is
    assert pushed["Cliente"] == "nuovo" and pushed["Indirizzo"] == "nuovo"
    assert pushed["Data ordine Amazon (ora italiana)"] == "2026-11-26 10:30:00"
    assert by_id["402-0000005-0000005"]["Motivo"].startswith("SKU ABC-99 sconosciuto")
    assert by_id["402-0000004-0000004"]["Esito"] == "Scartato"


def test_counts_orders_and_watermarks_in_both_bodies(busy_report):
    html, text = render_report_html(busy_report), render_report_text(busy_report)

    for body in (html, text):
        for order_id in ("402-0000001-0000001", "402-0000004-0000004", "402-0000005-0000005"):
            assert order_id in body
        assert "OX+2+15" in body and "501.00042" in body
        assert "1.234,50 EUR" in body
        assert "1.299,40 EUR" in body  # total of the three imported orders
        assert "SKU ABC-99 sconosciuto" in body
        assert "già importato" in body
        assert "26/11/2026 09:30" in body and "27/11/2026 10:30" in body  # watermarks, Rome time
    assert "- Letti da Amazon: 9" in text
    assert "- Errori: 1" in text
    assert re.search(r"<th>Memorizzati nel gestionale</th><td class=\"number\">1</td>", html)
    assert "Ordini importati (3)" in html and "Scartati (1)" in html and "Errori (1)" in html


def test_no_buyer_personal_data_in_the_model_or_the_output(busy_report):
    personal = {"buyer", "email", "phone", "name", "address_line", "postal_code", "city", "vat"}
    field_names = {field.name for field in dataclasses.fields(OrderLine)}
    assert not {name for name in field_names for word in personal if word in name}

    for body in (
        render_report_html(busy_report),
        render_report_text(busy_report),
        render_orders_csv(busy_report).decode("utf-8-sig"),
    ):
        assert "@" not in body  # no email address of any kind


@pytest.mark.parametrize(
    ("counts", "extra", "subject"),
    [
        (RunCounts(created=12, failed=1), {}, "[Amazon → Passweb] it_main: 12 ordini importati, 1 errore"),
        (RunCounts(created=1), {}, "[Amazon → Passweb] it_main: 1 ordine importato"),
        (
            RunCounts(created=2, incomplete=2, failed=3),
            {},
            "[Amazon → Passweb] it_main: 2 ordini importati, 2 incompleti, 3 errori",
        ),
        (
            RunCounts(),
            {"failed_accounts": ("de_main: Amazon non raggiungibile",)},
            "[Amazon → Passweb] it_main: 0 ordini importati, 1 errore",
        ),
        (RunCounts(created=4), {"dry_run": True}, "[Amazon → Passweb] PROVA it_main: 4 ordini da importare"),
    ],
)
def test_subject(counts, extra, subject):
    assert build_subject(make_report(counts=counts, **extra)) == subject


def test_dry_run_says_nothing_was_written():
    line = OrderLine("402-1", when(26), Outcome.WOULD_CREATE, Decimal("5"))
    report = make_report((line,), RunCounts(fetched=1, selected=1, created=1), dry_run=True)

    text = render_report_text(report)
    assert "ESECUZIONE DI PROVA" in text and "ORDINI DA IMPORTARE (1)" in text
    assert "(invariata: prova)" in text
    assert "Esecuzione di prova" in render_report_html(report)


@pytest.mark.parametrize(
    ("orders", "counts", "extra", "expected"),
    [
        ((), RunCounts(), {}, False),
        ((), RunCounts(fetched=30, selected=0), {}, False),
        (
            (OrderLine("1", when(26), Outcome.SKIPPED, reason="già importato"),),
            RunCounts(fetched=1, skipped=1),
            {},
            False,
        ),
        ((), RunCounts(created=1, pushed=1), {}, True),
        ((), RunCounts(failed=1), {}, True),
        ((), RunCounts(incomplete=1, created=1), {}, True),
        ((), RunCounts(), {"failed_accounts": ("de_main: errore",)}, True),
        ((OrderLine("1", when(26), Outcome.FAILED, reason="x"),), RunCounts(), {}, True),
        ((OrderLine("1", when(26), Outcome.WOULD_CREATE),), RunCounts(created=1), {"dry_run": True}, True),
    ],
)
def test_should_send(orders, counts, extra, expected):
    assert should_send(make_report(orders, counts, **extra)) is expected


def test_clean_text_and_csv_guard_units():
    assert clean_text(None) == ""
    assert clean_text("  a\tb\n\nc\u2028d  ") == "a b c d"
    assert clean_text("x" * 10, max_length=5) == "xxxx…"
    assert clean_text("\ud800ok") == "ok"  # a lone surrogate would break UTF-8 encoding
    assert clean_text("👩‍💻") == "👩‍💻"  # the zero-width joiner of an emoji sequence stays
    assert guard_csv_cell(" =1") == "' =1"
    assert guard_csv_cell("402-1") == "402-1"
