"""Delivery documents read from the gestionale: the warehouse movements (``documenti/movimenti-magazzino``,
sigle ``BC`` delivery note and ``FT`` invoice by default) that evade one of the product's order documents.

What the reference gives (``sorgenti/info/documenti__movimenti-magazzino*.json``, ``relazioni.json``):

- the evaded order: ``sigla_ordine`` / ``serie_ordine`` / ``numero_ordine`` ("Ordine evaso dal movimento
  di magazzino"). The info lists put them in the header; the ``/righe`` view repeats them on every row,
  so they are read from the rows: a gestionale that keeps them per row is read right too;
- the evaded order row: the row's ``id_riga_orig`` ("Righe a residuo - Numero di riga univoco della
  riga origine"), with ``codice_articolo`` and ``quantita``;
- ``sigla_doc_orig`` / ``serie_doc_orig`` / ``numero_doc_orig`` name the *movement* a document was
  transformed from ("es. BC -> FT"), never the order: an invoice made from a delivery note read here
  describes the goods of that note again, so it is skipped (the note is the shipment);
- ``cod_vettore`` (carrier code), ``nr_tracking``, ``dt_spedizione`` / ``ora_spedizione`` ("Data / Ora
  inizio trasporto"). The time's format is not published: ``HHMM``, ``HHMMSS``, ``HH:MM`` and
  ``HH:MM:SS`` are read; a transport date without a (readable) time is taken at 00:00.

The reference has no carriers (vettori) archive: a carrier's name cannot be read (see
``GestionaleClient.carrier_name``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from amazon_passweb.gestionale.errors import UnexpectedResponse

log = logging.getLogger(__name__)

ROME = ZoneInfo("Europe/Rome")
DEFAULT_SIGLE = ("BC", "FT")
HEADER_FIELDS = [
    "sigla", "serie", "numero", "cod_conto", "data_documento", "sigla_doc_orig", "serie_doc_orig",
    "numero_doc_orig", "cod_vettore", "nr_tracking", "dt_spedizione", "ora_spedizione",
]  # fmt: skip
ROW_FIELDS = [
    "sigla", "serie", "numero", "cod_conto", "sigla_ordine", "serie_ordine", "numero_ordine", "id_riga",
    "id_riga_orig", "codice_articolo", "quantita",
]  # fmt: skip
TIME_RE = re.compile(r"^(?P<h>[01]\d|2[0-3]):?(?P<m>[0-5]\d)(?::?(?P<s>[0-5]\d))?$")


@dataclass(frozen=True)
class EvadedRow:
    article_code: str
    quantity: Decimal
    order_row: int | None  # the order row's id_riga (the movement row's id_riga_orig), when given


@dataclass(frozen=True)
class DeliveryDocument:
    key: str  # "BC/1/123/2026": sigla/serie/numero/year — numbers start again each year
    sigla: str
    serie: int | str
    numero: int
    document_date: dt.date
    order_key: str  # the evaded order document, "OX+2+541" as client.document_key writes it
    carrier_code: str | None  # cod_vettore
    tracking_number: str | None  # nr_tracking
    shipped_at: dt.datetime | None  # dt_spedizione + ora_spedizione, Europe/Rome, aware
    rows: tuple[EvadedRow, ...]


def wire_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def parse_date(value: object) -> dt.date | None:
    text = str(value or "").strip()
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date() if len(text) == 8 else None
    except ValueError:
        return None


def shipped_at(day: object, time: object) -> dt.datetime | None:
    """The transport start in Rome time; None without a readable date."""
    date = parse_date(day)
    if date is None:
        if str(day or "").strip():
            log.warning("unreadable dt_spedizione %r: the document counts as without transport date", day)
        return None
    match = TIME_RE.match(str(time or "").strip())
    if match is None and str(time or "").strip():
        log.warning("unreadable ora_spedizione %r: the transport start is taken at 00:00", time)
    clock = dt.time(int(match["h"]), int(match["m"]), int(match["s"] or 0)) if match else dt.time()
    return dt.datetime.combine(date, clock, tzinfo=ROME)


def movement_id(record: dict) -> tuple:
    return (record.get("sigla"), record.get("serie"), record.get("numero"), record.get("cod_conto", ""))


def order_key(row: dict) -> str | None:
    """The evaded order's key, "OC+1+541"; None when the row evades no order."""
    if not row.get("sigla_ordine") or not row.get("numero_ordine"):
        return None
    return f"{row['sigla_ordine']}+{row['serie_ordine']}+{row['numero_ordine']}"


def evaded_rows(rows: Iterable[dict]) -> dict[tuple, dict[str, list[EvadedRow]]]:
    """Article rows by movement and by the order they evade (listing order kept)."""
    found: dict[tuple, dict[str, list[EvadedRow]]] = {}
    for row in rows:
        key, article = order_key(row), str(row.get("codice_articolo") or "").strip()
        if key is None or not article:  # a description row, or a row evading no order
            continue
        try:
            quantity = Decimal(str(row.get("quantita")))
        except InvalidOperation:
            raise UnexpectedResponse(f"a movement row answered quantita {row.get('quantita')!r}") from None
        order_row = int(row["id_riga_orig"]) if row.get("id_riga_orig") else None
        found.setdefault(movement_id(row), {}).setdefault(key, []).append(EvadedRow(article, quantity, order_row))
    return found


def delivery_documents(
    headers: Iterable[dict], rows: dict[tuple, dict[str, list[EvadedRow]]], sigle: Iterable[str]
) -> Iterator[DeliveryDocument]:
    """One DeliveryDocument per movement header and evaded order. A movement evading two orders (possible
    only where the gestionale keeps the order per row) gives two, with the same ``key``."""
    read = set(sigle)
    for header in headers:
        evaded = rows.get(movement_id(header))
        if not evaded:
            continue
        if header.get("sigla_doc_orig") in read and header.get("numero_doc_orig"):
            log.info("%s+%s+%s is made from %s+%s+%s, read as the shipment itself: skipped",
                     header["sigla"], header["serie"], header["numero"], header["sigla_doc_orig"],
                     header.get("serie_doc_orig"), header["numero_doc_orig"])  # fmt: skip
            continue
        date = parse_date(header.get("data_documento"))
        if date is None:
            raise UnexpectedResponse(f"a movement answered data_documento {header.get('data_documento')!r}")
        sigla, serie, numero = header["sigla"], header["serie"], int(header["numero"])
        for order, evaded_by_order in evaded.items():
            yield DeliveryDocument(
                key=f"{sigla}/{serie}/{numero}/{date.year}",
                sigla=sigla,
                serie=serie,
                numero=numero,
                document_date=date,
                order_key=order,
                carrier_code=str(header.get("cod_vettore") or "").strip() or None,
                tracking_number=str(header.get("nr_tracking") or "").strip() or None,
                shipped_at=shipped_at(header.get("dt_spedizione"), header.get("ora_spedizione")),
                rows=tuple(evaded_by_order),
            )
