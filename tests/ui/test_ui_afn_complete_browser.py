"""«Completa ordine» in headless Chromium: the operator filters the incomplete AFN orders, opens the
form on the order's row, first forgets the province (refused, in Italian, what was typed kept), then
completes it; the order is Registrato. The pages are served over a real socket with Airflow's JWT
cookie, as the API server serves them. Screenshots go to tests/artifacts/ui/."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn

from amazon_passweb.site.states import OrderState
from amazon_passweb.ui.app import create_app
from tests.fixtures.mail import free_port
from tests.ui.browser import LAPTOP, launch, require_browser, screenshot
from tests.ui.test_ui_afn_complete import BUYER, incomplete  # noqa: F401  (the fixture)


@pytest.fixture
def served(services, auth_manager):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the pages did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_operator_completes_an_incomplete_afn_order_in_the_browser(served, admin_cookie, store, incomplete):  # noqa: F811
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=LAPTOP, locale="it-IT")
        context.add_cookies([{"name": "_token", "value": admin_cookie["_token"], "url": served}])
        page = context.new_page()
        page.goto(f"{served}/orders")
        page.select_option("select[name=state]", OrderState.INCOMPLETO_AFN.value)
        page.get_by_role("button", name="Filtra").click()
        row = page.locator(f'tr[data-order="{incomplete}"]')
        expect(row.locator("[data-field=state]")).to_have_text(OrderState.INCOMPLETO_AFN.value)

        row.get_by_text("Completa ordine").click()
        form = row.locator("form.complete-afn-form")
        for name, value in BUYER.items():
            if name != "province":
                form.locator(f"input[name={name}]").fill(value)
        form.get_by_role("button", name="Completa con questi dati").click()
        expect(page.locator("#orders-error")).to_contain_text("Dati incompleti: indica Provincia.")
        row = page.locator(f'tr[data-order="{incomplete}"]')
        expect(row.locator("input[name=line1]")).to_have_value(BUYER["line1"])
        screenshot(page, "afn-complete-refused")

        row.locator("input[name=province]").fill(BUYER["province"])
        row.get_by_role("button", name="Completa con questi dati").click()
        expect(page.locator("#orders-notice")).to_contain_text("Registrato con i dati dell'acquirente")
        expect(page.locator(f'tr[data-order="{incomplete}"] [data-field=state]')).to_have_text(
            OrderState.REGISTRATO.value)
        screenshot(page, "afn-complete-done")
        browser.close()

    with store.unit_of_work(read_only=True) as uow:
        assert uow.orders.find("it_main", incomplete).state is OrderState.REGISTRATO
