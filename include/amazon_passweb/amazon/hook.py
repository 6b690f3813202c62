"""Airflow hook for one selling partner's SP-API connection.

Connection fields (type ``http``, id ``amazon_sp_api__<account id>`` by default):

- ``login``: LWA client id
- ``password``: LWA client secret
- ``extra``: ``{"refresh_token": "Atzr|…", "selling_partner_id": "A1…", "region": "eu"}``
  (or ``"endpoint": "https://…"`` instead of ``region``; optional ``"lwa_endpoint"``,
  ``"target_application"``, ``"time_scale"``, ``"timeout"``)

Why ``HttpHook`` is only partly reused: its ``get_conn`` would send login and password
as HTTP basic auth and every ``extra`` key as a header, i.e. put the client secret and
refresh token on every SP-API request. So this hook reuses the connection handling and
builds a clean session; and its ``run``/``run_with_advanced_retry`` know nothing of
Amazon's token buckets, expiring access tokens or error bodies, which ``SpApiTransport``
handles (with tenacity, like ``HttpHook``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from airflow.providers.http.hooks.http import HttpHook

from amazon_passweb.amazon.client import ApiVersion, OrdersClient
from amazon_passweb.amazon.notifications import NotificationsClient
from amazon_passweb.amazon.settings import SpApiSettings

if TYPE_CHECKING:
    from amazon_passweb.config import AccountConfig


class SpApiHook(HttpHook):
    hook_name = "Amazon SP-API"

    def __init__(self, sp_api_conn_id: str, **kwargs: Any):
        super().__init__(method="GET", http_conn_id=sp_api_conn_id, **kwargs)

    def get_settings(self) -> SpApiSettings:
        connection = self.get_connection(self.http_conn_id)
        try:
            return SpApiSettings.from_connection_fields(
                connection.login, connection.password, connection.extra_dejson
            )
        except ValueError as error:
            raise ValueError(f"connection {self.http_conn_id!r}: {error}") from None

    def get_conn(self, headers: dict[str, Any] | None = None, extra_options: Any = None) -> requests.Session:
        session = requests.Session()
        session.headers.update({"user-agent": "amazon-passweb/0.1 (Language=Python)"})
        if headers:
            session.headers.update(headers)
        return session

    def get_client(self, api_version: ApiVersion = "2026-01-01") -> OrdersClient:
        return OrdersClient(self.get_settings(), api_version, session=self.get_conn())

    @classmethod
    def client_for_account(cls, account: AccountConfig) -> OrdersClient:
        """The account's client, from its Airflow connection (``account.sp_api_conn_id``)."""
        return cls(account.sp_api_conn_id).get_client(account.api_version)

    def get_notifications_client(self) -> NotificationsClient:
        return NotificationsClient(self.get_settings(), session=self.get_conn())

    @classmethod
    def notifications_client_for_account(cls, account: AccountConfig) -> NotificationsClient:
        """The account's Notifications API client (a context manager), from the same connection: its
        client id and secret also obtain the grantless token destinations need."""
        return cls(account.sp_api_conn_id).get_notifications_client()
