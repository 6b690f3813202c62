"""Field lengths of the gestionale archives and fitting values into them, with a warning."""

from __future__ import annotations

import re
import textwrap

# Maximum lengths assumed for the gestionale fields the mapping writes. The WebAPI's field
# lists (reference/mexal-webapi/sorgenti/info) give names and types but no lengths: these are
# conservative sizes, and a longer value is cut with a warning rather than refused.
CUSTOMER_LIMITS = {
    "ragione_sociale": 80,
    "cognome": 40,
    "nome": 40,
    "indirizzo": 60,
    "cap": 10,
    "localita": 60,
    "provincia": 2,
    "cod_paese": 2,
    "partita_iva": 20,
    "codice_fiscale": 16,
    "email": 100,
    "telefono": 30,
}
ADDRESS_LIMITS = {
    "descrizione": 80,
    "indirizzo": 60,
    "cap": 10,
    "localita": 60,
    "provincia": 2,
    "cod_paese": 2,
    "telefono": 30,
}
DOCUMENT_LIMITS = {"cod_vettore": 10, "rif_nr_attuale": 20, "nota": 100}
ROW_LIMITS = {"codice_articolo": 20, "descr_riga": 60}

_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """One line, single spaces: what the gestionale's text fields hold."""
    return _SPACES.sub(" ", str(value)).strip() if value is not None else ""


def fit(value: object, limit: int, field: str, warnings: list[str], where: str = "") -> str:
    """The value cleaned and cut to ``limit`` characters; a cut is reported in ``warnings``."""
    text = clean(value)
    if len(text) <= limit:
        return text
    kept = text[:limit].rstrip()
    prefix = f"{where}: " if where else ""
    # The value itself stays out of the warning: warnings are logged and kept in the order's
    # history, and most of these fields are the buyer's personal data.
    warnings.append(f"{prefix}field '{field}' truncated to {limit} characters ({len(text)} given)")
    return kept


def wrap(text: object, limit: int) -> list[str]:
    """A note split over as many rows as it needs: notes are never cut."""
    return textwrap.wrap(clean(text), limit, break_long_words=True) or [""]
