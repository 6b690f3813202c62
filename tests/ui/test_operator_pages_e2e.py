"""The operator pages in headless Chromium, against a real Airflow API server with the plugin.

An operator logs in to Airflow, opens "Account Amazon" from the Airflow UI, moves
the watermark back (with its confirmation), presses Sincro Ordini, sees the run
start, a second start refused while it runs, and the import's result appear;
then filters the orders. An operator whose browser speaks English still reads and types
Italian dates (gg/mm/aaaa) and Italian reasons. Anonymous requests to every page and endpoint
are refused. Screenshots go to tests/artifacts/ui/.
"""

from __future__ import annotations

import re

import pytest
import requests
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from sandbox.airflow_cluster import OPERATOR, LocalAirflow
from sandbox.stack import LocalStack
from tests.ui import site_seed
from tests.ui.browser import LAPTOP, launch, require_browser, screenshot

pytestmark = pytest.mark.slow
ACCOUNT = "it_main"
DAG = f"amazon_orders__{ACCOUNT}"
ORDERS = 40
SEED = 7
WATERMARK_LOCAL = "01/10/2026 00:00"  # the generated orders are from October 2026
RUN_TIMEOUT_MS = 150_000


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    """The example accounts; it_main is manual only, so unpausing it starts nothing by itself."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        if account["id"] == ACCOUNT:
            account["schedule"] = "none"
    path = tmp_path_factory.mktemp("config") / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory, accounts_file):
    require_browser()
    workdir = tmp_path_factory.mktemp("ui-stack")
    with LocalStack(workdir, accounts_file=accounts_file,
                    amazon_args=["--generate", str(ORDERS), "--seed", str(SEED)]) as running:
        from sandbox.demo import prepare_site

        prepare_site(running)
        yield running


@pytest.fixture(scope="module")
def airflow(stack):
    with LocalAirflow(stack.workdir / "cluster", env=stack.airflow_env()) as running:
        running.unpause(DAG)
        yield running


def anonymous_requests(base: str) -> list[tuple[str, str]]:
    pages = ["/amazon/", "/amazon/accounts", "/amazon/orders", "/amazon/orders?state=errori",
             f"/amazon/accounts/{ACCOUNT}/card", "/amazon/static/ui.css", "/amazon/static/ui.js"]
    changes = [f"/amazon/accounts/{ACCOUNT}/sync", f"/amazon/accounts/{ACCOUNT}/watermark", "/amazon/orders/retry",
               "/amazon/orders/complete-afn"]
    return [("GET", base + path) for path in pages] + [("POST", base + path) for path in changes]


def test_anonymous_requests_are_refused(airflow):
    for method, url in anonymous_requests(airflow.base_url):
        for headers in ({}, {"Accept": "text/html"}, {"Authorization": "Bearer not-a-token"}):
            answer = requests.request(method, url, headers=headers, json={}, allow_redirects=False, timeout=30)
            redirected_to_login = answer.status_code in (302, 303, 307) and "/auth/login" in answer.headers["location"]
            assert answer.status_code in (401, 403) or redirected_to_login, (method, url, headers, answer.status_code)


def test_operator_syncs_an_account_and_filters_its_orders(airflow):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=LAPTOP, locale="it-IT", timezone_id="Europe/Rome")
        try:
            _log_in(page, airflow.base_url)

            page.goto(f"{airflow.base_url}/plugin/amazon-accounts")
            frame = page.frame_locator("iframe[src*='/amazon/accounts']")
            card = frame.locator(f"#account-{ACCOUNT}")
            expect(card.get_by_role("heading", name="Amazon Italia")).to_be_visible(timeout=60_000)
            expect(frame.locator("#sync-quota")).to_contain_text("disponibili")
            screenshot(page, "01-accounts-in-airflow")

            _move_watermark_back(page, card, frame)

            card.get_by_role("button", name="Sincro Ordini").click()
            expect(card.locator(".notice")).to_contain_text("Sincro Ordini avviato")
            expect(card.locator("[data-field=busy]")).to_be_visible()
            screenshot(page, "04-sync-started")
            refused = _press_sync_through_fetch(frame)
            assert refused["status"] == 409 and "non avviato" in refused["detail"], refused

            first_import = card.locator("table[data-field=imports] tbody tr").first
            expect(first_import.locator(".badge")).to_have_text(re.compile("success|partial"), timeout=RUN_TIMEOUT_MS)
            expect(card.locator("[data-field=run-state]").first).to_have_text("success", timeout=30_000)
            assert int(first_import.locator("[data-field=created]").inner_text()) > 0, "the run imported orders"
            assert int(first_import.locator("[data-field=pushed]").inner_text()) > 0, "and stored them"
            expect(card.get_by_role("button", name="Sincro Ordini")).to_be_enabled()
            screenshot(page, "05-sync-finished")

            _filter_orders(page, airflow.base_url)
        finally:
            browser.close()


def _log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.locator("input[name=username]").fill(OPERATOR[0])
    page.locator("input[name=password]").fill(OPERATOR[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"), timeout=60_000)


def _move_watermark_back(page, card, frame) -> None:
    from playwright.sync_api import expect

    card.get_by_role("button", name="Modifica").click()
    dialog = frame.locator("#watermark-dialog")
    dialog.locator("input[name=value_local]").fill(WATERMARK_LOCAL)
    dialog.get_by_role("button", name="Continua").click()
    expect(dialog.locator("[data-field=explanation]")).to_contain_text("01/10/2026 00:00")
    screenshot(page, "02-watermark-confirm")
    dialog.get_by_role("button", name="Conferma").click()
    expect(dialog).to_be_hidden()
    expect(card.locator("[data-field=watermark]")).to_have_text("01/10/2026 00:00:00")
    expect(card).to_contain_text(f"impostata da {OPERATOR[0]}")
    screenshot(page, "03-watermark-changed")


def _press_sync_through_fetch(frame) -> dict:
    """A second Sincro Ordini while the first runs, as the page itself would post it."""
    return frame.locator("body").evaluate(
        """async (body, account) => {
            const answer = await fetch(body.dataset.base + "/accounts/" + account + "/sync",
                {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"}});
            return {status: answer.status, detail: (await answer.json()).detail};
        }""", ACCOUNT)


def _filter_orders(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/plugin/amazon-orders")
    frame = page.frame_locator("iframe[src*='/amazon/orders']")
    expect(frame.locator("#orders-table")).to_be_visible(timeout=60_000)
    screenshot(page, "06-orders")

    frame.locator("select[name=account]").select_option(ACCOUNT)
    frame.locator("select[name=state]").select_option("Memorizzato")
    frame.locator("input[name=date_from]").fill("01/10/2026")
    frame.get_by_role("button", name="Filtra").click()
    page.locator("iframe[src*='/amazon/orders']").element_handle().content_frame().wait_for_url(
        re.compile(r"state=Memorizzato"))
    rows = frame.locator("#orders-table tbody tr[data-order]")
    expect(rows.first).to_be_visible()
    states = rows.locator("[data-field=state]").all_inner_texts()
    assert states and set(states) == {"Memorizzato"}, states
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.account)")) == {ACCOUNT}
    expect(frame.locator("#orders-count")).to_contain_text(f"{len(states)} ordini")
    screenshot(page, "07-orders-filtered")


def test_an_operator_with_an_english_browser_reads_and_types_italian_dates(stack, airflow):
    """A native date input would show mm/dd/yyyy here: the page's own inputs and dates stay gg/mm/aaaa."""
    from playwright.sync_api import expect, sync_playwright

    store = stack.open_site_store()
    try:
        site_seed.seed(store)  # one order per state, 9-15 October 2026, a hostile import error among them
    finally:
        store.dispose()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=LAPTOP, locale="en-US", timezone_id="America/New_York")
        try:
            _log_in(page, airflow.base_url)
            page.goto(f"{airflow.base_url}/plugin/amazon-orders")
            frame = page.frame_locator("iframe[src*='/amazon/orders']")
            expect(frame.locator("#orders-table")).to_be_visible(timeout=60_000)
            assert frame.locator("body").evaluate("() => navigator.language") == "en-US"
            assert frame.locator("html").get_attribute("lang") == "it"
            date_from = frame.locator("input[name=date_from]")
            expect(date_from).to_have_attribute("placeholder", "gg/mm/aaaa")

            frame.locator("select[name=account]").select_option(site_seed.ACCOUNT)
            date_from.fill("11/10/2026")
            frame.locator("input[name=date_to]").fill("12/10/2026")
            frame.get_by_role("button", name="Filtra").click()
            page.locator("iframe[src*='/amazon/orders']").element_handle().content_frame().wait_for_url(
                re.compile(r"date_from=11%2F10%2F2026"))
            rows = frame.locator("#orders-table tbody tr[data-order]")
            expect(rows.first).to_be_visible()
            ids = set(rows.evaluate_all("rows => rows.map(r => r.dataset.order)"))
            assert {site_seed.PUSH_FAILED, site_seed.IMPORT_FAILED} <= ids, ids  # with the run's own orders
            assert not ids & {site_seed.STORED, site_seed.WAITING}, ids  # 10 and 14 October
            days = rows.evaluate_all("rows => rows.map(r => r.cells[2].textContent.trim())")
            assert all(re.match(r"1[12]/10/2026 \d\d:\d\d", text) for text in days), days
            expect(date_from).to_have_value("11/10/2026")  # shown back as typed, never as 10/11/2026
            expect(frame.locator("input[name=date_to]")).to_have_value("12/10/2026")
            pushed = frame.locator(f"tr[data-order='{site_seed.PUSH_FAILED}']")
            expect(pushed.locator("td").nth(2)).to_have_text("11/10/2026 10:00")  # purchase date, Italian time
            failed = frame.locator(f"tr[data-order='{site_seed.IMPORT_FAILED}'] .error-cell")
            expect(failed).to_contain_text(site_seed.HOSTILE_ERROR)  # shown as text, never run
            screenshot(page, "08-orders-english-browser")

            date_from.fill("31/02/2026")  # the pattern passes it; the server says what is wrong, in Italian
            frame.get_by_role("button", name="Filtra").click()
            expect(frame.locator("[data-field=date-error]")).to_contain_text(
                "Dal: «31/02/2026» non è una data valida, scrivila come gg/mm/aaaa")
        finally:
            browser.close()
