"""Delivery documents: an operator's gestionale writes delivery notes and invoices through the WebAPI
(plain HTTP here, no product code); the product's client reads back the ones that evade its orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from gestionale_builders import customer, order, row
from standin_http import YEAR, created_key, get, post, put, refused, search

from amazon_passweb.gestionale.push import OrderPush, push_order
from amazon_passweb.gestionale.shipments import ROME, EvadedRow, shipped_at

SINCE, UNTIL = dt.date(YEAR, 12, 1), dt.date(YEAR, 12, 5)
MOVEMENTS = "documenti/movimenti-magazzino"


def pushed(client, account, amazon_id: str, rows) -> tuple[str, str, dict[str, int]]:
    """A product order document: (its key, its customer, the id_riga of each article row)."""
    result = push_order(client, account, OrderPush(order(amazon_id, buyer=customer(int(amazon_id[-1])), rows=rows)))
    assert result.ok, result.error
    read = client.get_document(result.document_key)
    articles = dict(read["codice_articolo"])
    return result.document_key, result.customer_code, {articles[i]: v for i, v in read["id_riga"] if articles.get(i)}


def movement(conto: str, day: str, rows: list[tuple[str, int, int | None]], order_key: str | None = None,
             sigla: str = "BC", **header) -> dict:
    """A movement as an operator's gestionale sends it: rows (article, quantity, evaded order row)."""
    body = {"sigla": sigla, "serie": 1, "numero": 0, "cod_conto": conto, "data_documento": f"{YEAR}{day}", **header}
    if order_key:
        sigla_o, serie_o, numero_o = order_key.split("+")
        body |= {"sigla_ordine": sigla_o, "serie_ordine": int(serie_o), "numero_ordine": int(numero_o)}
    indexes = range(1, len(rows) + 1)
    body |= {
        "id_riga": [[i, 0] for i in indexes], "tp_riga": [[i, "R"] for i in indexes],
        "codice_articolo": [[i, r[0]] for i, r in zip(indexes, rows, strict=True)],
        "quantita": [[i, r[1]] for i, r in zip(indexes, rows, strict=True)],
        "cod_iva": [[i, "22"] for i in indexes],
    }  # fmt: skip
    evaded = [[i, r[2]] for i, r in zip(indexes, rows, strict=True) if r[2] is not None]
    return body | ({"id_riga_orig": evaded} if evaded else {})


def shipped(carrier: str, tracking: str, day: str, time: str) -> dict:
    return {"cod_vettore": carrier, "nr_tracking": tracking, "dt_spedizione": f"{YEAR}{day}", "ora_spedizione": time}


@pytest.fixture
def orders(client, account):
    """Three product orders: A (2 × ART001), B (ART001 + ART002), C (ART003)."""
    a = pushed(client, account, "405-0000000-0000001", [row(1, "ART001", "24.40", 2)])
    b = pushed(client, account, "405-0000000-0000002", [row(1, "ART001", "24.40"), row(2, "ART002", "10.00")])
    c = pushed(client, account, "405-0000000-0000003", [row(1, "ART003", "5.00")])
    return a, b, c


@pytest.fixture
def shipments(standin, orders):
    """The operator's documents: A shipped in part, B in two packages, C without tracking; and the
    documents the read must leave out (no order, out of the window, another sigla, an invoice made
    from a delivery note)."""
    (a, conto_a, rows_a), (b, conto_b, rows_b), (c, conto_c, rows_c) = orders
    create = lambda body: created_key(post(standin, MOVEMENTS, body))  # noqa: E731
    keys = {
        "A": create(movement(conto_a, "1201", [("ART001", 1, rows_a["ART001"])], a,
                             **shipped("BRT", "BRT-A-1", "1201", "1030"))),
        "B1": create(movement(conto_b, "1202", [("ART001", 1, rows_b["ART001"])], b,
                              **shipped("GLS", "GLS-B-1", "1202", "0915"))),
        "B2": create(movement(conto_b, "1203", [("ART002", 1, rows_b["ART002"])], b,
                              **shipped("SDA", "SDA-B-2", "1203", "161530"))),
        "C": create(movement(conto_c, "1205", [("ART003", 1, rows_c["ART003"])], c)),
        "no order": create(movement(conto_a, "1202", [("ART005", 3, None)], **shipped("BRT", "X", "1202", "1000"))),
        "before": create(movement(conto_a, "1130", [("ART001", 1, rows_a["ART001"])], a)),
        "other sigla": create(movement(conto_b, "1202", [("ART001", 1, None)], b, sigla="BD")),
        "invoice of A": create(movement(conto_a, "1204", [("ART001", 1, None)], a, sigla="FT", sigla_doc_orig="BC",
                                        serie_doc_orig=1, numero_doc_orig=1)),
    }  # fmt: skip
    create(movement(conto_c, "1206", [("ART003", 1, None)], c))  # after the window
    return keys


def test_delivery_documents_are_the_ones_evading_an_order_with_rows_tracking_carrier_and_time(
    client, orders, shipments
):
    (a, _, rows_a), (b, _, rows_b), (c, _, rows_c) = orders
    found = {d.key: d for d in client.delivery_documents(SINCE, UNTIL)}
    assert sorted(found) == [f"BC/1/{n}/{YEAR}" for n in (1, 2, 3, 4)]
    first = found[f"BC/1/1/{YEAR}"]
    assert (first.sigla, first.serie, first.numero, first.document_date) == ("BC", 1, 1, dt.date(YEAR, 12, 1))
    assert first.order_key == a and first.carrier_code == "BRT" and first.tracking_number == "BRT-A-1"
    assert first.rows == (EvadedRow("ART001", Decimal(1), rows_a["ART001"]),)  # 1 of the 2 ordered
    assert first.shipped_at == dt.datetime(YEAR, 12, 1, 10, 30, tzinfo=ROME)
    assert first.shipped_at.utcoffset() == dt.timedelta(hours=1)
    two = [found[f"BC/1/2/{YEAR}"], found[f"BC/1/3/{YEAR}"]]
    assert {d.order_key for d in two} == {b}
    assert [(d.carrier_code, d.tracking_number, d.rows) for d in two] == [
        ("GLS", "GLS-B-1", (EvadedRow("ART001", Decimal(1), rows_b["ART001"]),)),
        ("SDA", "SDA-B-2", (EvadedRow("ART002", Decimal(1), rows_b["ART002"]),)),
    ]
    assert two[1].shipped_at == dt.datetime(YEAR, 12, 3, 16, 15, 30, tzinfo=ROME)
    untracked = found[f"BC/1/4/{YEAR}"]
    assert untracked.order_key == c and untracked.rows == (EvadedRow("ART003", Decimal(1), rows_c["ART003"]),)
    assert (untracked.carrier_code, untracked.tracking_number, untracked.shipped_at) == (None, None, None)


def test_the_window_bounds_and_the_sigle_are_respected(client, shipments):
    assert [d.key for d in client.delivery_documents(dt.date(YEAR, 11, 30), dt.date(YEAR, 11, 30))] == [
        f"BC/1/6/{YEAR}"
    ]
    assert [d.key for d in client.delivery_documents(dt.date(YEAR, 12, 2), dt.date(YEAR, 12, 3))] == [
        f"BC/1/2/{YEAR}", f"BC/1/3/{YEAR}"
    ]  # fmt: skip
    assert [d.key for d in client.delivery_documents(SINCE, UNTIL, sigle=("BD",))] == [f"BD/1/1/{YEAR}"]
    # read alone, the invoice made from BC 1 is the shipment; read with the BC it would be it twice
    assert [d.key for d in client.delivery_documents(SINCE, UNTIL, sigle=("FT",))] == [f"FT/1/1/{YEAR}"]
    assert list(client.delivery_documents(dt.date(YEAR, 12, 7), dt.date(YEAR, 12, 31))) == []
    with pytest.raises(ValueError):
        client.delivery_documents(UNTIL, SINCE)


def test_paging_follows_next_and_gives_the_same_documents(standin, client, shipments):
    whole = list(client.delivery_documents(SINCE, UNTIL))
    before = standin.standin.gate.stats["requests"]
    paged = list(client.delivery_documents(SINCE, UNTIL, page_size=1))
    assert paged == whole
    # one row or header a page: 5 evading rows of BC/FT in the window, 6 BC/FT headers in it
    assert standin.standin.gate.stats["requests"] - before >= 5 + 6


def test_tracking_added_later_by_a_header_revision_is_read(standin, client, shipments):
    key = shipments["C"]
    read = get(standin, f"{MOVEMENTS}/{key}?fields=data_ult_mod").json()
    link = get(standin, f"{MOVEMENTS}/{key}?fields=sigla_ordine,serie_ordine,numero_ordine,sigla_doc_orig,"
                        "serie_doc_orig,numero_doc_orig").json()  # fmt: skip
    body = {"sigla": "BC", "serie": 1, "numero": 4, "cod_conto": key.split("+")[3], **link,
            "data_ult_mod": read["data_ult_mod"], **shipped("BRT", "BRT-C-1", "1205", "0800")}  # fmt: skip
    assert put(standin, f"{MOVEMENTS}/{key}?solo_testata=true", body).status_code == 204
    (late,) = [d for d in client.delivery_documents(SINCE, UNTIL) if d.key == f"BC/1/4/{YEAR}"]
    assert (late.carrier_code, late.tracking_number) == ("BRT", "BRT-C-1")
    assert late.shipped_at == dt.datetime(YEAR, 12, 5, 8, 0, tzinfo=ROME)


def test_the_gestionale_has_no_carriers_archive(client):
    assert client.carrier_name("BRT") is None


# ---- the stand-in refuses what the reference does not publish, and evasions it cannot vouch for


def test_the_standin_refuses_wrong_movement_fields(standin, orders):
    (a, conto, rows_a), _, _ = orders
    base = movement(conto, "1201", [("ART001", 1, rows_a["ART001"])], a)
    for name, value in (("tracking", "X"), ("data_spedizione", f"{YEAR}1201"), ("vettore", "BRT"),
                        ("qta_evasa", [[1, 1]]), ("id_riga_ordine", [[1, 1]])):  # fmt: skip
        assert refused(post(standin, MOVEMENTS, base | {name: value}), f"Nome campo '{name}' non valido")
    assert refused(post(standin, MOVEMENTS, base | {"sigla_doc_orig": [[1, "BC"]]}),
                   "Valore non alfanumerico per il campo 'sigla_doc_orig'")  # a header field, not a row one
    assert refused(post(standin, MOVEMENTS, base | {"ora_spedizione": "10.30"}),
                   "Ora non valida per il campo 'ora_spedizione': 10.30 (formato HHMM o HHMMSS)")
    assert refused(post(standin, MOVEMENTS, base | {"dt_spedizione": "01/12/2026"}),
                   "Data non valida per il campo 'dt_spedizione': 01/12/2026 (formato AAAAMMGG)")
    # the order rows publish no evaded quantity
    no_field = search(standin, "documenti/ordini-clienti/righe", [{"campo": "qta_evasa", "condizione": ">",
                                                                   "valore": 0}])  # fmt: skip
    assert refused(no_field, "Nome campo 'qta_evasa' non valido")
    assert standin.standin.count_movements() == 0


def test_the_standin_refuses_evasions_it_cannot_vouch_for(standin, orders):
    (a, conto, rows_a), _, _ = orders
    article_row = rows_a["ART001"]
    over = movement(conto, "1201", [("ART001", 3, article_row)], a)
    assert refused(post(standin, MOVEMENTS, over), f"Quantita' 3 oltre il residuo 2 della riga {article_row} "
                                                   f"dell'ordine {a}")  # fmt: skip
    other_article = movement(conto, "1201", [("ART002", 1, article_row)], a)
    assert refused(post(standin, MOVEMENTS, other_article),
                   f"Articolo ART002 diverso da quello della riga {article_row} dell'ordine {a}")
    no_origin = movement(conto, "1201", [("ART001", 1, None)], a, sigla="FT", sigla_doc_orig="BC",
                         serie_doc_orig=1, numero_doc_orig=9)  # fmt: skip
    assert refused(post(standin, MOVEMENTS, no_origin), "Documento di origine BC+1+9 inesistente")
    key = created_key(post(standin, MOVEMENTS, movement(conto, "1201", [("ART001", 2, article_row)], a)))
    again = movement(conto, "1202", [("ART001", 1, article_row)], a)
    assert refused(post(standin, MOVEMENTS, again), f"Quantita' 1 oltre il residuo 0 della riga {article_row} "
                                                    f"dell'ordine {a}")  # fmt: skip
    read = get(standin, f"{MOVEMENTS}/{key}").json()
    revision = {"sigla": "BC", "serie": 1, "numero": 1, "cod_conto": conto, "data_ult_mod": read["data_ult_mod"],
                "sigla_ordine": read["sigla_ordine"], "serie_ordine": read["serie_ordine"],
                "numero_ordine": read["numero_ordine"], "id_riga": read["id_riga"], "quantita": [[1, 1]]}  # fmt: skip
    assert refused(put(standin, f"{MOVEMENTS}/{key}", revision),
                   "Righe di un movimento che evade un ordine: revisione solo con solo_testata=true")
    assert standin.standin.count_movements() == 1


@pytest.mark.parametrize(
    ("day", "time", "expected"),
    [
        ("20260715", "1030", dt.datetime(2026, 7, 15, 10, 30, tzinfo=ROME)),  # summer: UTC+2
        ("20260715", "10:30:15", dt.datetime(2026, 7, 15, 10, 30, 15, tzinfo=ROME)),
        ("20260715", "", dt.datetime(2026, 7, 15, tzinfo=ROME)),
        ("20260715", "ore 10", dt.datetime(2026, 7, 15, tzinfo=ROME)),
        ("", "1030", None),
        ("15/07/2026", "1030", None),
    ],
)
def test_the_transport_start_is_rome_time(day, time, expected):
    assert shipped_at(day, time) == expected
    if expected is not None:
        assert shipped_at(day, time).utcoffset() == dt.timedelta(hours=2)
