"""The accounts page says, per account, whether Amazon's notifications start imports and when the last
arrived, in Italian time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from amazon_passweb.config import ACCOUNTS_FILE_ENV, DEFAULT_ACCOUNTS_FILE


@pytest.fixture
def operator(client, admin_cookie):
    client.cookies.update(admin_cookie)
    return client


@pytest.fixture
def it_main_listens(tmp_path, monkeypatch):
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw["accounts"][0]["notifications"] = {"queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"}
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv(ACCOUNTS_FILE_ENV, str(path))


def _card(html: str, account_id: str) -> str:
    start = html.index(f'<div class="muted mono">{account_id}')
    return html[start:html.find('<div class="muted mono">', start + 1)]


def test_without_notifications_the_card_says_they_are_off(operator):
    html = operator.get("/accounts").text
    assert "Notifiche Amazon: non attive" in _card(html, "it_main")


def test_a_listening_account_before_and_after_its_first_notifications(operator, store, it_main_listens):
    html = operator.get("/accounts").text
    assert "Notifiche Amazon: attive · nessuna ricevuta finora" in _card(html, "it_main")
    assert "Notifiche Amazon: non attive" in _card(html, "eu_de_fr")
    with store.unit_of_work() as uow:
        for received, at in ((3, datetime(2026, 10, 20, 6, 30, tzinfo=UTC)),
                             (2, datetime(2026, 12, 1, 9, 5, tzinfo=UTC))):
            uow.notifications.record("it_main", received=received, last_event_at=None, at=at)
    html = operator.get("/accounts").text
    # Italian time: CET in December
    assert "Notifiche Amazon: attive · ultima ricevuta alle 01/12/2026 10:05 (5 in totale)" in _card(html, "it_main")
