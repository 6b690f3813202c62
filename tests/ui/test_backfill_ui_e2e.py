"""An operator recovers a missed period with Airflow's own backfill dialog, in headless Chromium.

Real Airflow (api-server, scheduler, dag-processor, triggerer; metadata on PostgreSQL) runs the
account DAG against the stand-ins. The site's watermark says orders were read up to 20 October; a
first scheduled run reads from there. The operator then opens the DAG in Airflow's UI, presses
Trigger, chooses *Backfill* over 10–12 October (Italian time) with the dialog's defaults (missing
runs, one run at a time) and runs it. Expected: every backfill run succeeds, exactly the orders of
those days are added, no Amazon order has two gestionale documents, the watermark is where the
scheduled run left it, and the accounts page shows the backfill help with this account's command.
Screenshots go to tests/artifacts/ui/.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from amazon_passweb.importer.window import OVERLAP
from sandbox.airflow_cluster import OPERATOR, LocalAirflow
from sandbox.stack import LocalStack
from tests.e2e.stack_queries import (
    daily_accounts_file,
    gestionale_documents,
    moment,
    site_orders,
    site_watermark,
    wanted_orders,
)
from tests.fixtures.postgres import postgres_database
from tests.ui.browser import LAPTOP, launch, require_browser, screenshot

pytestmark = pytest.mark.slow
ACCOUNT = "it_main"
DAG = f"amazon_orders__{ACCOUNT}"
ORDERS = 150
SEED = 7
WATERMARK = datetime(2026, 10, 20, tzinfo=UTC)
FROM_DAY, TO_DAY = "2026/10/10", "2026/10/12"  # the dialog's date format; times in Europe/Rome
BACKFILL_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    return daily_accounts_file(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory, accounts_file):
    require_browser()
    workdir = tmp_path_factory.mktemp("backfill-ui")
    with LocalStack(
        workdir, accounts_file=accounts_file, amazon_args=["--generate", str(ORDERS), "--seed", str(SEED)]
    ) as running:
        from sandbox.demo import prepare_site

        prepare_site(running)
        yield running


def test_operator_backfills_missed_days_from_the_trigger_dialog(stack, accounts_file, tmp_path_factory):
    from playwright.sync_api import expect, sync_playwright

    store = stack.open_site_store()
    with store.unit_of_work() as uow:  # as an operator sets it on the accounts page
        uow.accounts.set_watermark(ACCOUNT, WATERMARK, set_by="operatore")
    store.dispose()
    wanted = wanted_orders(accounts_file, ACCOUNT, ORDERS, SEED)

    # Airflow's metadata on PostgreSQL: on SQLite the scheduler's writes can refuse a backfill request
    with (
        postgres_database("backfill_ui_meta") as metadata,
        LocalAirflow(tmp_path_factory.mktemp("cluster"), env=stack.airflow_env(), metadata_url=metadata) as airflow,
        sync_playwright() as playwright,
    ):
        airflow.unpause(DAG)
        regular = airflow.wait_for_runs(DAG, 1, timeout=600)
        assert [r["state"] for r in regular] == ["success"], airflow.task_states(DAG, regular[0]["dag_run_id"])
        after_regular = set(site_orders(stack))
        assert after_regular == {oid for oid, updated in wanted.items() if updated >= WATERMARK - OVERLAP}
        watermark = site_watermark(stack, ACCOUNT)
        assert watermark > WATERMARK

        browser = launch(playwright)
        page = browser.new_page(viewport=LAPTOP, locale="it-IT", timezone_id="Europe/Rome")
        try:
            _log_in(page, airflow.base_url)
            _start_backfill(page, airflow.base_url)
            runs = _wait_for_backfill(airflow)
            page.goto(f"{airflow.base_url}/dags/{DAG}/runs")
            expect(page.get_by_text(re.compile(r"backfill__")).first).to_be_visible(timeout=60_000)
            screenshot(page, "backfill-03-runs")
            _check_accounts_page_help(page, airflow.base_url)
        finally:
            browser.close()

    assert len(runs) == 3 and all(r["state"] == "success" for r in runs), runs
    start = min(moment(r["data_interval_start"]) for r in runs)
    end = max(moment(r["data_interval_end"]) for r in runs)
    assert (start, end) == (datetime(2026, 10, 9, 22, tzinfo=UTC), datetime(2026, 10, 12, 22, tzinfo=UTC)), (
        "10–12 October, Italian days"
    )
    missed = {oid for oid, updated in wanted.items() if start <= updated < end}
    assert missed - after_regular, "the chosen days must hold orders the regular run did not read"
    assert set(site_orders(stack)) == after_regular | missed
    references = Counter(document["rif_nr_attuale"] for document in gestionale_documents(stack))
    assert references and max(references.values()) == 1, "no Amazon order has two gestionale documents"
    in_gestionale = {oid for oid, order in site_orders(stack).items() if order["gestionale_document_key"]}
    assert len(references) == len(in_gestionale), "one document per site order the gestionale received"
    assert (missed - after_regular) & in_gestionale, "the recovered days' orders reached the gestionale"
    assert site_watermark(stack, ACCOUNT) == watermark, "a backfill leaves the watermark where it was"


def _log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.locator("input[name=username]").fill(OPERATOR[0])
    page.locator("input[name=password]").fill(OPERATOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"), timeout=60_000)


def _start_backfill(page, base_url: str) -> None:
    """Trigger → Backfill → dates → Run, with the dialog's defaults for everything else."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/dags/{DAG}")
    page.get_by_role("button", name=re.compile("Trigger")).first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("label", has_text="Backfill").first.click()
    for index, day in enumerate((FROM_DAY, TO_DAY)):
        dialog.locator("[data-testid=datetime-input]").nth(index).click()
        picker = page.locator("[data-part=content]:visible").last
        picker.get_by_placeholder("YYYY/MM/DD").fill(day)
        picker.get_by_placeholder("HH:mm").fill("00:00")
        dialog.get_by_text("Intervallo di Date", exact=True).click()  # closes the picker, keeping the dialog
    expect(dialog.get_by_text(re.compile(r"3 runs? verr"))).to_be_visible(timeout=30_000)
    expect(dialog.locator("input[name=max_active_runs]")).to_have_value("1")
    screenshot(page, "backfill-01-dialog")
    dialog.get_by_role("button", name=re.compile("Backfill$")).click()
    expect(dialog).to_be_hidden(timeout=30_000)
    screenshot(page, "backfill-02-started")


def _wait_for_backfill(airflow) -> list[dict]:
    """Until Airflow marks the backfill completed; its runs then."""
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    while time.monotonic() < deadline:
        backfills = airflow.api("GET", "/backfills", params={"dag_id": DAG}).json().get("backfills", [])
        if backfills and all(b.get("completed_at") for b in backfills):
            return [r for r in airflow.runs(DAG) if r["run_type"] == "backfill"]
        time.sleep(3)
    raise TimeoutError(f"the backfill did not complete within {BACKFILL_TIMEOUT_S} s")


def _check_accounts_page_help(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/plugin/amazon-accounts")
    frame = page.frame_locator("iframe[src*='/amazon/accounts']")
    help_panel = frame.locator(f"#account-{ACCOUNT} [data-field=backfill-help]")
    expect(help_panel).to_be_visible(timeout=60_000)
    help_panel.locator("summary").click()
    expect(help_panel.locator("code")).to_contain_text(f"airflow backfill create --dag-id {DAG}")
    expect(help_panel).to_contain_text("Recuperare un periodo mancato")
    screenshot(page, "backfill-04-accounts-help")
