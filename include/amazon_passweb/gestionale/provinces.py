"""The gestionale's ``provincia``: the two-letter sigla of an Italian province.

Amazon gives the buyer's ``StateOrRegion`` as typed at checkout: a sigla ("MI"),
a full name ("Milano", "Forlì-Cesena", "Provincia di Roma"), or the English name
("Rome"). Cutting a name to two letters writes a wrong province ("Roma" → "RO",
which is Rovigo), so a name is looked up, and one not found is left out with a
warning rather than guessed. A foreign address has no Italian province: its
region is left out (the gestionale has the country in ``cod_paese``).
"""

from __future__ import annotations

import re
import unicodedata

SIGLE: dict[str, str] = {
    "AG": "Agrigento", "AL": "Alessandria", "AN": "Ancona", "AO": "Aosta", "AR": "Arezzo",
    "AP": "Ascoli Piceno", "AT": "Asti", "AV": "Avellino", "BA": "Bari", "BT": "Barletta-Andria-Trani",
    "BL": "Belluno", "BN": "Benevento", "BG": "Bergamo", "BI": "Biella", "BO": "Bologna", "BZ": "Bolzano",
    "BS": "Brescia", "BR": "Brindisi", "CA": "Cagliari", "CL": "Caltanissetta", "CB": "Campobasso",
    "CE": "Caserta", "CT": "Catania", "CZ": "Catanzaro", "CH": "Chieti", "CO": "Como", "CS": "Cosenza",
    "CR": "Cremona", "KR": "Crotone", "CN": "Cuneo", "EN": "Enna", "FM": "Fermo", "FE": "Ferrara",
    "FI": "Firenze", "FG": "Foggia", "FC": "Forlì-Cesena", "FR": "Frosinone", "GE": "Genova", "GO": "Gorizia",
    "GR": "Grosseto", "IM": "Imperia", "IS": "Isernia", "SP": "La Spezia", "AQ": "L'Aquila", "LT": "Latina",
    "LE": "Lecce", "LC": "Lecco", "LI": "Livorno", "LO": "Lodi", "LU": "Lucca", "MC": "Macerata",
    "MN": "Mantova", "MS": "Massa-Carrara", "MT": "Matera", "ME": "Messina", "MI": "Milano", "MO": "Modena",
    "MB": "Monza e della Brianza", "NA": "Napoli", "NO": "Novara", "NU": "Nuoro", "OR": "Oristano",
    "PD": "Padova", "PA": "Palermo", "PR": "Parma", "PV": "Pavia", "PG": "Perugia", "PU": "Pesaro e Urbino",
    "PE": "Pescara", "PC": "Piacenza", "PI": "Pisa", "PT": "Pistoia", "PN": "Pordenone", "PZ": "Potenza",
    "PO": "Prato", "RG": "Ragusa", "RA": "Ravenna", "RC": "Reggio Calabria", "RE": "Reggio Emilia",
    "RI": "Rieti", "RN": "Rimini", "RM": "Roma", "RO": "Rovigo", "SA": "Salerno", "SS": "Sassari",
    "SV": "Savona", "SI": "Siena", "SR": "Siracusa", "SO": "Sondrio", "SU": "Sud Sardegna", "TA": "Taranto",
    "TE": "Teramo", "TR": "Terni", "TO": "Torino", "TP": "Trapani", "TN": "Trento", "TV": "Treviso",
    "TS": "Trieste", "UD": "Udine", "VA": "Varese", "VE": "Venezia", "VB": "Verbano-Cusio-Ossola",
    "VC": "Vercelli", "VR": "Verona", "VV": "Vibo Valentia", "VI": "Vicenza", "VT": "Viterbo",
}

# Other ways the same provinces are written: official long forms, German, English, short forms.
_ALIASES: dict[str, str] = {
    "valle d aosta": "AO", "vallee d aoste": "AO", "aoste": "AO",
    "bozen": "BZ", "bolzano bozen": "BZ", "alto adige": "BZ", "sudtirol": "BZ", "south tyrol": "BZ",
    "reggio nell emilia": "RE", "reggio di calabria": "RC",
    "monza e brianza": "MB", "monza brianza": "MB", "monza": "MB",
    "forli cesena": "FC", "forli": "FC", "pesaro urbino": "PU", "pesaro": "PU",
    "massa carrara": "MS", "massa": "MS", "verbania": "VB", "barletta andria trani": "BT",
    "aquila": "AQ", "spezia": "SP",
    "rome": "RM", "milan": "MI", "naples": "NA", "turin": "TO", "florence": "FI", "venice": "VE",
    "genoa": "GE", "padua": "PD", "mantua": "MN", "syracuse": "SR", "leghorn": "LI",
}
_PREFIXES = ("provincia autonoma di ", "provincia di ", "provincia del ", "citta metropolitana di ",
             "libero consorzio comunale di ", "prov di ", "prov ", "provincia ")


def _key(name: str) -> str:
    """Lower case, no accents, apostrophes and dashes as spaces: "Forlì-Cesena" → "forli cesena"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


_BY_NAME: dict[str, str] = {_key(name): sigla for sigla, name in SIGLE.items()} | _ALIASES


def province_sigla(value: str | None, country: str | None) -> str | None:
    """The sigla for ``value`` in an Italian address, "" for none (no value, a foreign address),
    None for a value that is no Italian province."""
    text = (value or "").strip()
    if not text or (country or "IT").strip().upper() != "IT":
        return ""
    if text.upper() in SIGLE:
        return text.upper()
    key = _key(text)
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return _BY_NAME.get(key)
