"""The orders list: every Amazon order seen, its site and gestionale state, filters, no buyer data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from amazon_passweb.site.states import OrderState, RunOutcome
from amazon_passweb.ui import queries
from amazon_passweb.ui.queries import OrderFilter
from tests.ui import site_seed as seed


@pytest.fixture
def seeded(store):
    seed.seed(store)
    return store


def _ids(store, **filters) -> list[str]:
    with store.unit_of_work(read_only=True) as uow:
        return [line.amazon_order_id for line in queries.list_orders(uow.session, OrderFilter(**filters)).lines]


def test_lists_every_order_seen_newest_first(seeded):
    assert _ids(seeded) == [seed.OTHER_STORED, seed.WAITING, seed.SKIPPED, seed.IMPORT_FAILED, seed.PUSH_FAILED,
                            seed.STORED, seed.REJECTED]


def test_a_line_carries_site_and_gestionale_state(seeded):
    with seeded.unit_of_work(read_only=True) as uow:
        stored = queries.find_order(uow.session, seed.ACCOUNT, seed.STORED)
        push_failed = queries.find_order(uow.session, seed.ACCOUNT, seed.PUSH_FAILED)
        import_failed = queries.find_order(uow.session, seed.ACCOUNT, seed.IMPORT_FAILED)
        waiting = queries.find_order(uow.session, seed.ACCOUNT, seed.WAITING)
    assert (stored.site_state, stored.gestionale_document_key, stored.site_number) == (
        OrderState.MEMORIZZATO, "OX/2/1", "OX 2/1")
    assert stored.total_gross == Decimal("25.90") and stored.date_is_purchase and not stored.failed
    assert push_failed.failed and push_failed.last_error == seed.PUSH_REFUSAL.text
    assert push_failed.last_error.startswith("Il gestionale ha rifiutato i dati dell'ordine")
    assert push_failed.state_label == "Registrato – invio al gestionale non riuscito"
    assert import_failed.failed and import_failed.last_error == seed.HOSTILE_ERROR
    assert import_failed.site_number is None and not import_failed.date_is_purchase
    assert waiting.state_label == "In attesa di import" and not waiting.failed
    with seeded.unit_of_work(read_only=True) as uow:
        rejected = queries.find_order(uow.session, seed.ACCOUNT, seed.REJECTED)
    assert rejected.rejected and not rejected.failed and rejected.last_error == "totale mancante"


@pytest.mark.parametrize(("state", "expected"), [
    (queries.ERRORS, {seed.IMPORT_FAILED, seed.PUSH_FAILED}),
    (queries.WAITING, {seed.WAITING}),
    (queries.SKIPPED, {seed.SKIPPED}),
    (queries.REJECTED, {seed.REJECTED}),
    (OrderState.MEMORIZZATO.value, {seed.STORED, seed.OTHER_STORED}),
    (OrderState.REGISTRATO.value, {seed.PUSH_FAILED}),
])
def test_filters_by_state(seeded, state, expected):
    assert set(_ids(seeded, state=state)) == expected


def test_filters_by_account_dates_and_id(seeded):
    assert set(_ids(seeded, account=seed.OTHER)) == {seed.OTHER_STORED}
    # Italian calendar days: the purchase date for site orders, Amazon's last update otherwise.
    assert set(_ids(seeded, date_from=date(2026, 10, 11), date_to=date(2026, 10, 12))) == {
        seed.PUSH_FAILED, seed.IMPORT_FAILED}
    assert _ids(seeded, amazon_order_id=f"  {seed.STORED} ") == [seed.STORED]


def test_pages(seeded):
    with seeded.unit_of_work(read_only=True) as uow:
        first = queries.list_orders(uow.session, OrderFilter(), page_size=4)
        second = queries.list_orders(uow.session, OrderFilter(page=2), page_size=4)
    assert (first.total, first.pages, len(first.lines), len(second.lines)) == (7, 2, 4, 3)


def test_the_visible_accounts_bound_lines_and_total(seeded):
    """The user's readable accounts bound every filter, and the count with them."""
    only_it = frozenset({seed.ACCOUNT})
    with seeded.unit_of_work(read_only=True) as uow:
        page = queries.list_orders(uow.session, OrderFilter(visible_accounts=only_it))
        other = queries.list_orders(uow.session, OrderFilter(account=seed.OTHER, visible_accounts=only_it))
        found = queries.list_orders(uow.session, OrderFilter(amazon_order_id=seed.OTHER_STORED,
                                                             visible_accounts=only_it))
        none = queries.list_orders(uow.session, OrderFilter(visible_accounts=frozenset()))
    assert page.total == 6 and seed.OTHER_STORED not in {line.amazon_order_id for line in page.lines}
    assert (other.total, found.total, none.total) == (0, 0, 0)


def test_failed_counts_per_account(seeded):
    with seeded.unit_of_work(read_only=True) as uow:
        assert queries.failed_counts(uow.session) == {seed.ACCOUNT: 2}


def test_running_import_ignores_finished_and_stale_runs(store):
    now = datetime.now(UTC)
    with store.unit_of_work() as uow:
        assert queries.running_import(uow.session, seed.ACCOUNT, now) is None
        run = uow.imports.start(seed.ACCOUNT, run_id="r1")
        assert queries.running_import(uow.session, seed.ACCOUNT, now) is not None
        assert queries.running_import(uow.session, seed.ACCOUNT, now + timedelta(hours=7)) is None
        uow.imports.finish(run, RunOutcome.SUCCESS, uow.imports.get(run).counts)
        assert queries.running_import(uow.session, seed.ACCOUNT, now) is None


def test_watermark_info_says_who_set_it(store):
    moment = datetime(2026, 10, 1, tzinfo=UTC)
    with store.unit_of_work() as uow:
        assert queries.watermark_info(uow.session, seed.ACCOUNT).value is None
        uow.accounts.set_watermark(seed.ACCOUNT, moment, set_by="operatore")
        info = queries.watermark_info(uow.session, seed.ACCOUNT)
    assert (info.value, info.set_by) == (moment, "operatore")
