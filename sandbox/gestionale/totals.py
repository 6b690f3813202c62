"""A document's totals computed from its rows the way the gestionale does (for tests only: the
WebAPI document has no total fields).

- Each article row: quantita x prezzo, less its discounts, rounded to the cent.
- OC (company buyer): prices are net; per VAT code the VAT is the code's net sum x rate, rounded
  to the cent.
- OX (private buyer): prices are gross; per VAT code the net is the gross sum / (1 + rate),
  rounded to the cent, and the VAT is what is left.
- Exemption codes (from dati-generali/esenzioni-iva) count at 0 %.

``sconto`` is alphanumeric in the info list; the stand-in reads it as percentages joined by
``+`` (``"10+5"``: 10 % then 5 %), the usual Mexal notation; the reference does not spell it out.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sandbox.gestionale.errors import GestionaleError

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def discount_factor(sconto: object) -> Decimal:
    factor = Decimal(1)
    for part in str(sconto or "").replace(",", ".").split("+"):
        if part.strip():
            try:
                factor *= 1 - Decimal(part.strip()) / 100
            except ArithmeticError:
                raise GestionaleError(f"Sconto '{sconto}' non valido") from None
    return factor


def rate_of(code: str) -> Decimal:
    """A numeric code is a rate ("5.5" or "5,5"); any other (an exemption code) counts at 0 %.
    Unknown codes never get this far: a row naming one is refused (documents.validate_row)."""
    try:
        return Decimal(str(code).replace(",", "."))
    except ArithmeticError:
        return Decimal(0)


def totals(sigla: str, rows: list[dict]) -> dict:
    """rows: dicts with tp_riga, quantita, prezzo, sconto (optional), cod_iva."""
    by_code: dict[str, Decimal] = {}
    for row in rows:
        if row.get("tp_riga") != "R":
            continue
        amount = Decimal(str(row.get("quantita") or 0)) * Decimal(str(row.get("prezzo") or 0))
        amount = cents(amount * discount_factor(row.get("sconto")))
        code = str(row["cod_iva"])
        by_code[code] = by_code.get(code, Decimal(0)) + amount
    net: dict[str, Decimal] = {}
    vat: dict[str, Decimal] = {}
    for code, amount in by_code.items():
        rate = rate_of(code) / 100
        if sigla == "OX":
            net[code] = cents(amount / (1 + rate))
            vat[code] = amount - net[code]
        else:
            net[code] = amount
            vat[code] = cents(amount * rate)
    total_net, total_vat = sum(net.values(), Decimal(0)), sum(vat.values(), Decimal(0))
    return {
        "imponibile": net,
        "imposta": vat,
        "totale_imponibile": total_net,
        "totale_imposta": total_vat,
        "totale_documento": total_net + total_vat,
    }


def document_totals(document: dict) -> dict:
    """Totals of a stored or read document (header plus row arrays)."""
    rows: dict[int, dict] = {}
    for name in ("tp_riga", "quantita", "prezzo", "sconto", "cod_iva"):
        for index, value in document.get(name) or []:
            rows.setdefault(index, {})[name] = value
    return totals(document["sigla"], [rows[i] for i in sorted(rows)])
