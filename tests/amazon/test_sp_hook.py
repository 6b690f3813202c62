"""Building the client from the account's Airflow connection, and the stand-in's command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.hook import SpApiHook
from amazon_passweb.amazon.settings import REGION_ENDPOINTS, SpApiSettings
from amazon_passweb.config import AccountConfig
from sandbox.amazon.generate import generate_orders

ROOT = Path(__file__).resolve().parents[2]


def _account(**extra) -> AccountConfig:
    return AccountConfig(
        id="it_test",
        description="test",
        marketplaces=["APJ6JRA9NG5V4"],
        create_orders=True,
        order_statuses=["UNSHIPPED", "SHIPPED"],
        orders_series=1,
        customer_ledgers=["501"],
        warehouse_mfn=1,
        warehouse_afn=9,
        shipping_article_standard="SPEDSTD",
        shipping_article_express="SPEDEXP",
        **extra,
    )


def _connection_env(monkeypatch, conn_id: str, login: str, password: str, extra: dict) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "http", "login": login, "password": password, "extra": extra}),
    )


def test_settings_from_connection_fields():
    settings = SpApiSettings.from_connection_fields(
        "client", "secret", {"refresh_token": "Atzr|x", "selling_partner_id": "A1", "region": "na"}
    )
    assert settings.endpoint == REGION_ENDPOINTS["na"] and settings.selling_partner_id == "A1"
    assert "secret" not in repr(settings) and "Atzr" not in repr(settings)
    with pytest.raises(ValueError, match="refresh_token"):
        SpApiSettings.from_connection_fields("client", "secret", {})
    with pytest.raises(ValueError, match="region"):
        SpApiSettings.from_connection_fields("client", "secret", {"refresh_token": "x", "region": "mars"})


def test_client_for_account_reads_the_airflow_connection(monkeypatch, standin_factory):
    orders = generate_orders(30, seed=9)
    standin = standin_factory(orders)
    account = _account()
    _connection_env(
        monkeypatch,
        account.sp_api_conn_id,
        standin.config.client_id,
        standin.config.client_secret,
        {
            "refresh_token": standin.config.refresh_token,
            "endpoint": standin.base_url,
            "lwa_endpoint": standin.lwa_endpoint,
            "time_scale": 1000,
        },
    )
    with SpApiHook.client_for_account(account) as client:
        # The hook's session must not carry the LWA secret as basic auth or extras as headers.
        assert client.session.auth is None
        assert not any("Atzr" in str(v) for v in client.session.headers.values())
        result = client.fetch_orders(
            datetime(2026, 9, 1, tzinfo=UTC), marketplace_ids=account.marketplaces, statuses=account.order_statuses
        )
    expected = [
        o["orderId"]
        for o in orders
        if o["fulfillment"]["fulfillmentStatus"] in {"UNSHIPPED", "SHIPPED"}
        and o["salesChannel"]["marketplaceId"] == "APJ6JRA9NG5V4"
    ]
    assert [o.amazon_order_id for o in result.orders] == expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("source", ["generate", "file"])
def test_command_line_stand_in(tmp_path, source):
    port = _free_port()
    orders = generate_orders(12, seed=2)
    args = ["--generate", "12", "--seed", "2"]
    if source == "file":
        path = tmp_path / "orders.json"
        path.write_text(json.dumps(orders), encoding="utf-8")
        args = ["--orders", str(path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.amazon", "--port", str(port), "--time-scale", "1000", *args],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/_standin/stats", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        settings = SpApiSettings(
            client_id="amzn1.application-oa2-client.standin",
            client_secret="standin-client-secret",
            refresh_token="Atzr|standin-refresh-token",
            endpoint=base,
            lwa_endpoint=f"{base}/auth/o2/token",
            time_scale=1000,
        )
        with OrdersClient(settings) as client:
            fetched = client.fetch_orders(
                datetime(2026, 9, 1, tzinfo=UTC),
                marketplace_ids=["APJ6JRA9NG5V4", "A1PA6795UKMFR9", "A13V1IB3VIYZZH", "A1RKKUPIHCS9HS"],
            )
        assert [o.amazon_order_id for o in fetched.orders] == [o["orderId"] for o in orders]
    finally:
        process.terminate()
        process.wait(timeout=10)
