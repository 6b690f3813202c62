"""The pages and actions in-process: what the operator sees, Sincro Ordini and its refusals,
the watermark with its confirmation, retrying a failed order, and buyer data kept out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amazon_passweb.site.records import ImportRunCounts
from amazon_passweb.site.states import InboxStatus, RunOutcome
from tests.ui import site_seed as seed
from tests.ui.conftest import HOST, token_for

ORIGIN = {"Origin": f"http://{HOST}"}


@pytest.fixture
def operator(client, admin_cookie):
    client.cookies.update(admin_cookie)
    return client


def test_accounts_page_shows_configuration_watermark_runs_and_quota(operator, store):
    with store.unit_of_work() as uow:
        uow.accounts.set_watermark("it_main", datetime(2026, 10, 20, 6, 30, tzinfo=UTC), set_by="operatore")
        run = uow.imports.start("it_main", run_id="scheduled__1")
        uow.imports.finish(run, RunOutcome.SUCCESS, ImportRunCounts(fetched=12, created=7, pushed=7))
    html = operator.get("/accounts").text
    assert "Amazon Italia - negozio principale" in html and "IT (APJ6JRA9NG5V4)" in html
    assert "UNSHIPPED" in html and "ogni ora" in html
    assert "20/10/2026 08:30:00" in html and "impostata da operatore" in html  # Italian time (CEST)
    assert "0</strong> usate su 30" in html
    assert '<td class="num">12</td>' in html


def test_sincro_ordini_triggers_the_account_dag(operator, airflow):
    answer = operator.post("/accounts/it_main/sync", headers=ORIGIN)
    assert answer.status_code == 201
    assert answer.json()["run"]["dag_id"] == "amazon_orders__it_main"
    assert airflow.triggered == [("amazon_orders__it_main", "admin")]
    assert 'data-active="1"' in operator.get("/accounts/it_main/card").text


def test_sincro_ordini_is_refused_while_the_dag_runs(operator, airflow):
    operator.post("/accounts/it_main/sync", headers=ORIGIN)
    again = operator.post("/accounts/it_main/sync", headers=ORIGIN)
    assert again.status_code == 409
    assert "non avviato" in again.json()["detail"] and "in coda" in again.json()["detail"]
    airflow.finish_all()
    assert operator.post("/accounts/it_main/sync", headers=ORIGIN).status_code == 201


def test_sincro_ordini_is_refused_while_the_site_records_a_running_import(operator, airflow, store):
    with store.unit_of_work() as uow:
        uow.imports.start("it_main", run_id="another-process")
    answer = operator.post("/accounts/it_main/sync", headers=ORIGIN)
    assert answer.status_code == 409 and "è in corso" in answer.json()["detail"]
    assert airflow.triggered == []


def test_sincro_ordini_needs_the_right_to_trigger(client, auth_manager, airflow):
    airflow.readers_only.add("lettore")
    client.cookies.update({"_token": token_for(auth_manager, "lettore")})
    assert client.get("/accounts").status_code == 200
    answer = client.post("/accounts/it_main/sync", headers=ORIGIN)
    assert answer.status_code == 403 and airflow.triggered == []


def test_unknown_account_is_refused(operator):
    assert operator.post("/accounts/nope/sync", headers=ORIGIN).status_code == 404


def _watermark(operator, value_local, expected, confirm):
    return operator.post("/accounts/it_main/watermark", headers=ORIGIN,
                         json={"value_local": value_local, "expected": expected, "confirm": confirm})


def test_watermark_change_is_previewed_then_confirmed(operator, store):
    preview = _watermark(operator, "01/10/2026 00:00", None, False)  # as the dialog's text input sends it
    assert preview.status_code == 200 and not preview.json()["applied"]
    assert "01/10/2026 00:00" in preview.json()["message"] and "rileggerà" in preview.json()["message"]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.accounts.watermark("it_main") is None, "a preview changes nothing"

    applied = _watermark(operator, "2026-10-01T00:00", None, True)
    assert applied.json()["applied"]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.accounts.watermark("it_main") == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # Italian midnight


def test_watermark_change_refused_when_it_moved_meanwhile(operator, store):
    with store.unit_of_work() as uow:
        uow.accounts.set_watermark("it_main", datetime(2026, 10, 24, tzinfo=UTC), set_by="import")
    answer = _watermark(operator, "2026-10-01T00:00", "2026-10-20T00:00:00+00:00", True)
    assert answer.status_code == 409 and "cambiata nel frattempo" in answer.json()["detail"]


@pytest.mark.parametrize(("value", "reason"), [("2026-12-01T00:00", "futuro"), ("ieri", "formato")])
def test_watermark_change_refuses_bad_values(operator, value, reason):
    answer = _watermark(operator, value, None, True)
    assert answer.status_code == 422 and reason in answer.json()["detail"]


def test_watermark_change_refused_while_an_import_runs(operator, airflow):
    operator.post("/accounts/it_main/sync", headers=ORIGIN)
    answer = _watermark(operator, "2026-10-01T00:00", None, True)
    assert answer.status_code == 409 and "Attendi" in answer.json()["detail"]


def test_orders_page_shows_orders_without_buyer_data_and_escapes_amazon_text(operator, store):
    seed.seed(store)
    html = operator.get("/orders").text
    for amazon_order_id in (seed.STORED, seed.PUSH_FAILED, seed.IMPORT_FAILED):
        assert amazon_order_id in html
    assert "OX/2/1" in html and "25,90 EUR" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    for personal in (seed.BUYER_NAME, seed.BUYER_EMAIL, seed.BUYER_STREET):
        assert personal not in html


def test_orders_page_filters(operator, store):
    seed.seed(store)
    html = operator.get("/orders", params={"account": "it_main", "state": "errori"}).text
    assert seed.PUSH_FAILED in html and seed.IMPORT_FAILED in html and seed.STORED not in html
    assert html.count('data-action="retry"') == 2
    assert 'value="errori" selected' in html
    # Unknown filter values are ignored rather than failing the page; a wrong date is named, in Italian.
    bogus = operator.get("/orders", params={"state": "bogus", "date_from": "31/12"})
    assert bogus.status_code == 200
    assert "Dal: «31/12» non è una data valida, scrivila come gg/mm/aaaa" in bogus.text


def test_orders_page_dates_are_italian_days(operator, store):
    """Typed and shown as gg/mm/aaaa (text inputs: a native date input would follow the browser's locale)."""
    seed.seed(store)
    html = operator.get("/orders", params={"date_from": "11/10/2026", "date_to": "12/10/2026"}).text
    assert seed.PUSH_FAILED in html and seed.IMPORT_FAILED in html and seed.STORED not in html
    assert '<html lang="it">' in html and 'type="date"' not in html
    assert 'name="date_from" value="11/10/2026" placeholder="gg/mm/aaaa"' in html
    assert 'name="date_to" value="12/10/2026"' in html
    assert "11/10/2026 10:00" in html  # the purchase date, Italian time
    # a link saved before the change (ISO days) still filters, and shows the Italian day
    old = operator.get("/orders", params={"date_from": "2026-10-11", "date_to": "2026-10-12"}).text
    assert seed.PUSH_FAILED in old and seed.STORED not in old and 'value="11/10/2026"' in old


def test_retry_starts_the_account_import_and_records_who_asked(operator, store, airflow):
    seed.seed(store)
    answer = operator.post("/orders/retry", headers=ORIGIN,
                           json={"account": "it_main", "amazon_order_id": seed.IMPORT_FAILED})
    assert answer.status_code == 201 and "ritenta tutti gli ordini in errore" in answer.json()["message"]
    assert airflow.triggered == [("amazon_orders__it_main", "admin")]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.inbox.get("it_main", seed.IMPORT_FAILED).status is InboxStatus.FAILED  # the run retries it
        assert uow.inbox.history("it_main", seed.IMPORT_FAILED)[-1].message == "riprova richiesta da admin"


def test_retry_refuses_orders_not_in_error_and_says_when_an_import_runs(operator, store, airflow):
    seed.seed(store)
    stored = operator.post("/orders/retry", headers=ORIGIN, json={"account": "it_main", "amazon_order_id": seed.STORED})
    assert stored.status_code == 409 and "non è in errore" in stored.json()["detail"]
    rejected = operator.post("/orders/retry", headers=ORIGIN,
                             json={"account": "it_main", "amazon_order_id": seed.REJECTED})
    assert rejected.status_code == 409 and "illeggibile" in rejected.json()["detail"]
    operator.post("/accounts/it_main/sync", headers=ORIGIN)
    busy = operator.post("/orders/retry", headers=ORIGIN,
                         json={"account": "it_main", "amazon_order_id": seed.PUSH_FAILED})
    assert busy.status_code == 409 and "ritentato dal prossimo import" in busy.json()["detail"]


def test_sincro_ordini_is_refused_while_the_dag_is_paused(operator, airflow):
    airflow.paused.add("amazon_orders__it_main")
    answer = operator.post("/accounts/it_main/sync", headers=ORIGIN)
    assert answer.status_code == 409 and "in pausa" in answer.json()["detail"]
    assert airflow.triggered == []


def test_watermark_change_over_an_existing_value(operator, store):
    before = datetime(2026, 10, 24, 13, 14, 15, 123456, tzinfo=UTC)
    with store.unit_of_work() as uow:
        uow.accounts.set_watermark("it_main", before, set_by="import")
    answer = _watermark(operator, "2026-10-20T00:00", before.isoformat(), True)
    assert answer.status_code == 200 and "da 24/10/2026 15:14" in answer.json()["message"]
    with store.unit_of_work(read_only=True) as uow:
        assert uow.accounts.watermark("it_main") == datetime(2026, 10, 19, 22, 0, tzinfo=UTC)
