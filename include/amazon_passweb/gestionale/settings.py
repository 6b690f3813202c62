"""How to reach one gestionale as one WebAPI user: from explicit values or an Airflow connection."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_CONN_ID = "gestionale_webapi"
MAX_CONCURRENCY = 5  # the WebAPI's own limit per user
CUSTOMER_CODE_MODES = ("search", "auto")
USER_AGENT = "amazon-passweb/0.1"
DEFAULT_UNCERTAIN_WAIT_S = 1800.0  # 30 minutes: see README "Lost answers to a create"
MAX_UNCERTAIN_WAIT_S = 86400.0  # a day: longer leaves an order out of the gestionale for no gain
MAX_LEASE_S = 3600.0


@dataclass(frozen=True)
class WebApiSettings:
    base_url: str  # ".../webapi/"
    user: str
    password: str = field(repr=False)
    azienda: str
    anno: int = field(default_factory=lambda: dt.date.today().year)
    dominio: str | None = None
    magazzino: int | None = None
    max_concurrency: int = MAX_CONCURRENCY
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    retry_budget_s: float = 120.0  # how long 503s, outages and lost answers are retried
    # A create whose answer was lost and that a search then did not find is never sent again before
    # this long after that POST (the gestionale may still commit it); until then pushes search for it.
    uncertain_wait_s: float = DEFAULT_UNCERTAIN_WAIT_S
    # The site's write lease on this user (importer/write_lease.py): how long a holder's lease outlives its
    # last renewal (a dead holder's frees that long after it stopped), and how long a push waits for
    # another holder before it defers its orders to the next run.
    write_lease_ttl_s: float = 120.0
    write_lease_wait_s: float = 600.0
    # How a new customer gets its conto. "search": the next free conto of the mastro, found with
    # ricerca (the published WebAPI documents only explicit codes). "auto": send mastro.AUTO and
    # let the gestionale number it, for installations known to support it (undocumented).
    customer_code: Literal["search", "auto"] = "search"
    # TLS: on-premises servers often have self-signed certificates. ca_bundle: a PEM file of the
    # CA (or the certificate itself) to trust; verify=False turns verification off (not advised).
    verify: bool = True
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"max_concurrency must be between 1 and {MAX_CONCURRENCY}, got {self.max_concurrency}")
        if self.customer_code not in CUSTOMER_CODE_MODES:
            modes = " or ".join(CUSTOMER_CODE_MODES)
            raise ValueError(f"customer_code must be {modes}, got {self.customer_code!r}")
        if not self.read_timeout_s < self.uncertain_wait_s <= MAX_UNCERTAIN_WAIT_S:
            raise ValueError(
                f"uncertain_wait_s must be longer than read_timeout_s ({self.read_timeout_s:g}) and at most "
                f"{MAX_UNCERTAIN_WAIT_S:g} seconds, got {self.uncertain_wait_s:g}"
            )
        if not (1 <= self.write_lease_ttl_s <= MAX_LEASE_S and 0 <= self.write_lease_wait_s <= MAX_LEASE_S):
            raise ValueError(
                f"write_lease_ttl_s must be 1–{MAX_LEASE_S:g} and write_lease_wait_s 0–{MAX_LEASE_S:g} seconds, "
                f"got {self.write_lease_ttl_s:g} and {self.write_lease_wait_s:g}"
            )
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")

    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        authorization = f"Passepartout {token}" + (f" Dominio={self.dominio}" if self.dominio else "")
        coordinates = f"Azienda={self.azienda} Anno={self.anno}"
        if self.magazzino is not None:
            coordinates += f" Magazzino={self.magazzino}"
        return {
            "Authorization": authorization,
            "Coordinate-Gestionale": coordinates,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    @property
    def user_key(self) -> tuple[str, str, str]:
        """Who the WebAPI's concurrency limit counts: one user on one server."""
        return (self.base_url, self.dominio or "", self.user)

    @property
    def writer_key(self) -> str:
        """Who writes: one user of one company on one server (never the password), hashed to a fixed
        length. The site's write lease (importer.write_lease) is keyed by it."""
        identity = "\n".join((self.base_url.lower(), self.dominio or "", self.azienda, self.user))
        return hashlib.sha256(identity.encode()).hexdigest()

    @classmethod
    def from_connection(cls, connection: Any, base_url: str | None = None, **overrides: Any) -> WebApiSettings:
        """From an Airflow Connection: host/schema/port -> base URL, login/password, extra -> the rest."""
        extra = connection.extra_dejson if hasattr(connection, "extra_dejson") else json.loads(connection.extra or "{}")
        if base_url is None:
            host = connection.host or ""
            base_url = host if "://" in host else f"{connection.schema or 'https'}://{host}"
            if connection.port:
                base_url = f"{base_url.rstrip('/')}:{connection.port}"
            base_url = base_url.rstrip("/")
            if not base_url.endswith("/webapi"):
                base_url += "/webapi"
        missing = [
            name
            for name, value in (
                ("host", base_url),
                ("login", connection.login),
                ("extra.azienda", extra.get("azienda")),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"connection {connection.conn_id!r} lacks {', '.join(missing)}")
        values: dict[str, Any] = {
            "base_url": base_url,
            "user": connection.login,
            "password": connection.password or "",
            "azienda": str(extra["azienda"]),
            "dominio": extra.get("dominio") or None,
        }
        if extra.get("anno"):
            values["anno"] = int(extra["anno"])
        if extra.get("magazzino") not in (None, ""):
            values["magazzino"] = int(extra["magazzino"])
        if extra.get("max_concurrency"):
            values["max_concurrency"] = int(extra["max_concurrency"])
        for name in ("connect_timeout_s", "read_timeout_s", "retry_budget_s", "uncertain_wait_s",
                     "write_lease_ttl_s", "write_lease_wait_s"):
            if extra.get(name) not in (None, ""):
                values[name] = float(extra[name])
        if extra.get("customer_code"):
            values["customer_code"] = str(extra["customer_code"])
        if "verify" in extra:
            values["verify"] = _as_bool(extra["verify"])
        if extra.get("ca_bundle"):
            values["ca_bundle"] = str(extra["ca_bundle"])
        return cls(**{**values, **overrides})


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "si"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"extra.verify must be true or false, got {value!r}")
