"""The accounts page and a backfill: the help panel with the account's command, the banner while a
backfill runs (Sincro Ordini and the watermark wait for it), and the Italian refusal of a second import."""

from __future__ import annotations

from datetime import UTC, datetime

from amazon_passweb.importer.busy import ImportBusy
from amazon_passweb.importer.window import RunKind
from amazon_passweb.site.errors import ImportAlreadyRunning
from amazon_passweb.ui.airflow_gateway import BackfillInfo, DagRunInfo
from tests.ui.conftest import HOST

ORIGIN = {"Origin": f"http://{HOST}"}
DAG = "amazon_orders__it_main"


def _backfill(airflow) -> None:
    airflow.backfills[DAG] = BackfillInfo(
        DAG,
        datetime(2026, 10, 9, 22, tzinfo=UTC),
        datetime(2026, 10, 12, 21, 59, tzinfo=UTC),
        runs=3,
        runs_finished=1,
        max_active_runs=1,
        reprocess_behavior="none",
        created_by="operatore",
    )
    airflow.runs[DAG] = [
        DagRunInfo(DAG, "backfill__2026-10-10T22:00:00+00:00", "running", "backfill", None, None, None, "operatore")
    ]


def test_the_card_explains_how_to_recover_a_period_with_the_accounts_command(client, admin_cookie):
    client.cookies.update(admin_cookie)
    html = client.get("/accounts/it_main/card").text
    assert 'data-field="backfill-help"' in html and "Recuperare un periodo mancato" in html
    # NOW is 25 October 2026: the last seven Italian days, one run per interval of the schedule
    assert (
        f"airflow backfill create --dag-id {DAG} --from-date 2026-10-18T00:00:00+02:00 "
        "--to-date 2026-10-24T23:59:00+02:00 --max-active-runs 1 --reprocess-behavior none"
    ) in html
    assert "README" in html


def test_an_account_without_schedule_is_told_to_move_the_watermark_instead(client, admin_cookie, services):
    client.cookies.update(admin_cookie)
    accounts = services.accounts()
    manual = accounts.account("it_main").model_copy(update={"schedule": None})
    services.accounts = lambda: accounts.model_copy(
        update={"accounts": [manual if a.id == "it_main" else a for a in accounts.accounts]}
    )
    html = client.get("/accounts/it_main/card").text
    assert "airflow backfill create" not in html
    assert "non offre il backfill ai DAG senza pianificazione" in html


def test_while_a_backfill_runs_the_card_says_so_and_sync_and_watermark_wait(client, admin_cookie, airflow):
    client.cookies.update(admin_cookie)
    _backfill(airflow)
    html = client.get("/accounts/it_main/card").text
    assert 'data-field="backfill"' in html and "Backfill in corso" in html and "1 run finite su 3" in html
    assert "dal 10/10/2026 00:00" in html  # Italian time
    refused = client.post("/accounts/it_main/sync", headers=ORIGIN)
    assert refused.status_code == 409 and "un backfill (recupero di un periodo)" in refused.json()["detail"]
    watermark = client.post(
        "/accounts/it_main/watermark", headers=ORIGIN, json={"value_local": "2026-10-01T00:00", "expected": None}
    )
    assert watermark.status_code == 409 and "backfill" in watermark.json()["detail"]
    assert airflow.triggered == []


def test_a_backfill_between_its_runs_still_counts_as_running(client, admin_cookie, airflow):
    client.cookies.update(admin_cookie)
    _backfill(airflow)
    airflow.runs[DAG] = []  # the next backfill run is not created yet
    refused = client.post("/accounts/it_main/sync", headers=ORIGIN)
    assert refused.status_code == 409 and "non è ancora terminato" in refused.json()["detail"]


def test_a_refused_import_says_why_in_italian_and_what_airflow_does_next():
    retried = ImportBusy("it_main", RunKind.BACKFILL, try_number=1, max_tries=2)
    assert isinstance(retried, ImportAlreadyRunning)
    assert str(retried).startswith("Backfill dell'account it_main non avviato: è già in corso un altro import")
    assert "ritenterà questo task tra poco (tentativo 1 di 3)" in str(retried)
    last = ImportBusy("it_main", RunKind.BACKFILL, try_number=3, max_tries=2)
    assert "ritenterà" not in str(last) and "reprocess_behavior «failed»" in str(last)
    scheduled = ImportBusy("it_main", RunKind.SCHEDULED, try_number=3, max_tries=2)
    assert str(scheduled).startswith("Import dell'account it_main") and "Rilancia la run" in str(scheduled)
