"""Annulling an order document's rows after Amazon cancelled the order (domain.md §7).

What the reference gives (``openapi/documenti.yaml``, ``ai/AGENTE.md``, ``sorgenti/info``):

- the revision is ``PUT documenti/ordini-clienti/{sigla}+{serie}+{numero}`` (answer 204). Every
  existing row must be listed by ``id_riga`` and ``tp_riga``, or it is deleted; ``data_ult_mod``, as
  read, goes with it (a record changed meanwhile is refused: read it again and resend);
- a row's state is ``tipo_stato_riga`` ("E=evadibile, S=sospesa, B=bloccata, N=annullata") and the
  cancellation category ``cat_annul_riga`` ("Categoria annullamento stato riga annullata", numeric);
- a movement row (BC, FT…) names the order it evades with ``sigla_ordine`` / ``serie_ordine`` /
  ``numero_ordine``: an order evaded by one has shipped (or been invoiced) and is left as it is.

The document is never deleted. Setting rows to N again changes nothing, so the revision can be
repeated after a lost answer: it is re-read first, and not sent when every row is already annullata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from amazon_passweb.gestionale.client import MOVEMENT_ROWS, ORDERS, GestionaleClient, key_path
from amazon_passweb.gestionale.errors import DocumentRefused, OutcomeUnknown

log = logging.getLogger(__name__)

ANNULLATA = "N"
ROW_FIELDS = ("id_riga", "tp_riga", "tipo_stato_riga", "cat_annul_riga")
READ_FIELDS = ["sigla", "serie", "numero", "data_ult_mod", *ROW_FIELDS]
EVADING_FIELDS = ["sigla", "serie", "numero", "sigla_ordine", "serie_ordine", "numero_ordine"]
REVISION_ATTEMPTS = 3  # a document changed between our read and our revision is read again


@dataclass(frozen=True)
class Annulment:
    document_key: str
    rows: int  # the document's rows, all annullate now
    sent: bool  # False: every row already was (an earlier revision whose answer was lost)


def rows_of(document: dict) -> dict[int, dict]:
    """A read document's rows by their index: ``{1: {"id_riga": 7, "tp_riga": "R", ...}}``."""
    rows: dict[int, dict] = {}
    for name in ROW_FIELDS:
        for index, value in document.get(name) or ():
            rows.setdefault(int(index), {})[name] = value
    return rows


def is_annulled(rows: dict[int, dict], category: int | None) -> bool:
    return bool(rows) and all(
        row.get("tipo_stato_riga") == ANNULLATA
        and (category is None or str(row.get("cat_annul_riga") or 0) == str(category))
        for row in rows.values())


def revision_body(document: dict, rows: dict[int, dict], category: int | None) -> dict:
    """Key, ``data_ult_mod`` as read, and every row by ``id_riga`` and ``tp_riga``, set to annullata."""
    body: dict = {name: document[name] for name in ("sigla", "serie", "numero", "data_ult_mod")}
    body["id_riga"] = [[i, row["id_riga"]] for i, row in sorted(rows.items())]
    body["tp_riga"] = [[i, row["tp_riga"]] for i, row in sorted(rows.items())]
    body["tipo_stato_riga"] = [[i, ANNULLATA] for i in sorted(rows)]
    if category is not None:
        body["cat_annul_riga"] = [[i, category] for i in sorted(rows)]
    return body


def annul_rows(client: GestionaleClient, document_key: str, category: int | None) -> Annulment:
    """Every row of the order document ``document_key`` ("OX+2+15") set to annullata with ``category``.

    The revision's answer may be lost (``OutcomeUnknown``): the document is read again, and the
    revision resent only if some row is still not annullata; a refused revision (the document
    changed since it was read) too. A 404 means the document is gone from the gestionale:
    ``DocumentRefused``, the operator must look."""
    refused: DocumentRefused | None = None
    for _attempt in range(REVISION_ATTEMPTS):
        path, params = key_path(ORDERS, document_key)
        document = client.get_record(ORDERS, document_key)
        if document is None:
            raise DocumentRefused(f"document {document_key} is not in the gestionale")
        rows = rows_of(document)
        if is_annulled(rows, category):
            return Annulment(document_key, len(rows), sent=False)
        try:
            client.transport.request("PUT", path, revision_body(document, rows, category), idempotent=False,
                                     params=params)
        except OutcomeUnknown as error:
            log.warning("document %s: the revision's answer was lost (%s): reading it again", document_key, error)
            continue
        except DocumentRefused as error:
            # "changed by someone else since it was read" (data_ult_mod) is cured by reading it again;
            # the reference gives no code to tell it from other refusals: the last one is raised
            log.info("document %s: revision refused (%s): reading it again", document_key, error)
            refused = error
            continue
        log.info("document %s: %d rows annullate (category %s)", document_key, len(rows), category)
        return Annulment(document_key, len(rows), sent=True)
    if refused is not None:
        raise refused
    raise OutcomeUnknown(f"document {document_key}: rows not confirmed annullate after {REVISION_ATTEMPTS} attempts")


def evading_movements(client: GestionaleClient, document_key: str) -> list[str]:
    """The movements (any sigla) that evade the order document ``document_key``, as "BC+1+12": one
    ricerca on the movement rows by the evaded order (the WebAPI reads the client's working year)."""
    sigla, serie, numero = document_key.split("+")
    filtri = [
        {"campo": "sigla_ordine", "condizione": "=", "valore": sigla},
        {"campo": "serie_ordine", "condizione": "=", "valore": int(serie)},
        {"campo": "numero_ordine", "condizione": "=", "valore": int(numero)},
    ]
    found: dict[str, None] = {}
    for row in client.search(MOVEMENT_ROWS, filtri, fields=EVADING_FIELDS):
        found.setdefault(f"{row['sigla']}+{row['serie']}+{row['numero']}", None)
    return list(found)
