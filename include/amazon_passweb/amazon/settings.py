"""How to reach one selling partner's SP-API: credentials, endpoints and timing.

In Airflow the settings come from the account's connection (see ``hook.py`` and README.md):

- ``login``: LWA client id
- ``password``: LWA client secret
- ``extra``: ``{"refresh_token": "Atzr|…", "selling_partner_id": "A1…",
  "region": "eu" | "na" | "fe"`` *or* ``"endpoint": "https://…"``, optionally
  ``"lwa_endpoint": "https://api.amazon.com/auth/o2/token"``, ``"target_application"``,
  ``"time_scale"``, ``"timeout"``}

Tests and the benchmark build ``SpApiSettings`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REGION_ENDPOINTS = {
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "na": "https://sellingpartnerapi-na.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"


@dataclass(frozen=True)
class SpApiSettings:
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    selling_partner_id: str = "default"
    endpoint: str = REGION_ENDPOINTS["eu"]
    lwa_endpoint: str = LWA_ENDPOINT
    target_application: str | None = None
    # Amazon's clock runs this many times faster (only against the local stand-in):
    # rates are multiplied by it, token lifetimes and backoff divided by it.
    time_scale: float = 1.0
    timeout: float = 30.0
    max_attempts: int = 8
    backoff_initial: float = 1.0
    backoff_max: float = 60.0

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if not (self.client_id and self.client_secret and self.refresh_token):
            raise ValueError("client id, client secret and refresh token are all required")

    @classmethod
    def from_connection_fields(
        cls, login: str | None, password: str | None, extra: dict[str, Any] | None
    ) -> SpApiSettings:
        extra = dict(extra or {})
        region = str(extra.get("region") or "eu").lower()
        if "endpoint" in extra:
            endpoint = str(extra["endpoint"]).rstrip("/")
        elif region in REGION_ENDPOINTS:
            endpoint = REGION_ENDPOINTS[region]
        else:
            raise ValueError(f"unknown SP-API region {region!r}; use eu, na or fe, or set 'endpoint'")
        if not extra.get("refresh_token"):
            raise ValueError("the connection's extra has no 'refresh_token'")
        if not login or not password:
            raise ValueError("the connection needs login (LWA client id) and password (client secret)")
        optional = {
            key: extra[key] for key in ("target_application",) if extra.get(key)
        } | {key: float(extra[key]) for key in ("time_scale", "timeout") if extra.get(key)}
        return cls(
            client_id=login,
            client_secret=password,
            refresh_token=str(extra["refresh_token"]),
            selling_partner_id=str(extra.get("selling_partner_id") or "default"),
            endpoint=endpoint,
            lwa_endpoint=str(extra.get("lwa_endpoint") or LWA_ENDPOINT),
            **optional,
        )
