"""Make text that comes from Amazon safe to show in an email or a spreadsheet.

HTML escaping itself is left to Jinja2's autoescaping; this module removes what
escaping cannot: control characters (invalid in HTML, able to break a plain
text layout or a CSV row) and bidirectional overrides, which can make an order
id or a message read differently from what it is.
"""

from __future__ import annotations

import re
import unicodedata

# Embedding/override/isolate controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
# Right-to-left *text* is kept; only the invisible controls that reorder it go.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE_RUN = re.compile(r"\s+")
# Spreadsheets treat these leading characters as the start of a formula
# (fullwidth forms included: some spreadsheet apps normalise them).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")

ELLIPSIS = "…"


def _is_unsafe(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: C0/C1 controls (tab and newlines included); Zl/Zp: line/paragraph separators;
    # Cs: lone surrogates, which cannot even be encoded as UTF-8. Unassigned code points
    # stay: they are often emoji newer than this Python's Unicode tables.
    return char in _BIDI_CONTROLS or category in {"Cc", "Zl", "Zp", "Cs"}


def clean_text(value: object, max_length: int | None = None) -> str:
    """One line of displayable text: unsafe characters become spaces, runs of spaces collapse.

    ``None`` becomes the empty string. Text longer than ``max_length`` is cut and ends with "…".
    """
    if value is None:
        return ""
    text = "".join(" " if _is_unsafe(char) else char for char in str(value))
    text = _WHITESPACE_RUN.sub(" ", text).strip()
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + ELLIPSIS
    return text


def guard_csv_cell(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV/formula injection)."""
    if text.lstrip().startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_filename_part(value: str, max_length: int = 60) -> str:
    """Letters, digits, dot, dash and underscore only: run ids carry ':' and '+'."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("._")[:max_length] or "run"
