"""The Airflow side: the ``gestionale_webapi`` connection, read through the HTTP provider's hook."""

from __future__ import annotations

from typing import Any

from airflow.providers.http.hooks.http import HttpHook

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import DEFAULT_CONN_ID, WebApiSettings


class GestionaleHook(HttpHook):
    """HttpHook resolves the connection and its base URL (host/schema/port); requests then go
    through GestionaleClient's own per-thread sessions (see transport.py for why)."""

    conn_name_attr = "gestionale_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    hook_name = "Passepartout gestionale WebAPI"

    def __init__(self, gestionale_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(method="POST", http_conn_id=gestionale_conn_id, **kwargs)

    def get_settings(self, **overrides: Any) -> WebApiSettings:
        connection = self.get_connection(self.http_conn_id)
        # HttpHook's own host/schema/port rules, through its public method
        base_url = self.url_from_endpoint(None).rstrip("/")
        if not base_url.endswith("/webapi"):
            base_url += "/webapi"
        return WebApiSettings.from_connection(connection, base_url=base_url + "/", **overrides)

    def get_client(self, **overrides: Any) -> GestionaleClient:
        settle_s = overrides.pop("settle_s", 1.0)
        return GestionaleClient(self.get_settings(**overrides), settle_s=settle_s)
