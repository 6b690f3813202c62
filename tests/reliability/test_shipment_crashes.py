"""Shipment confirmation killed with SIGKILL: after the package is recorded in the site and before
Amazon is called, and after Amazon accepted a package but before the site recorded it. The next run
must leave exactly one package per delivery document at Amazon, every shipment confirmed. Both kill
points run with the site database on SQLite and on PostgreSQL.

The worker (``tests/reliability/crash_worker.py``) runs the account DAG's task bodies against the
stand-ins; the delivery notes are written beforehand through the gestionale's WebAPI.
Figures (``figures.py``): one line per dialect, "shipment crashes [sqlite]: 2 kill points, ..."."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.orders.dates import ROME
from amazon_passweb.orders.status import OrderState, RowKind, ShipmentStatus
from amazon_passweb.site.unit_of_work import open_site_store
from tests.reliability.crash_worker import SHIPMENT_POINTS, run_import
from tests.reliability.figures import Figure, report
from tests.reliability.reliability_fixtures import (
    ACCOUNT_ID,
    orders_for_test,
    run_worker,
    running_services,
    site_database,
)
from tests.shipments.delivery_notes import deliver

pytestmark = pytest.mark.slow
GENERATED = 50
ORDERS = orders_for_test(GENERATED, seed=29)
SITE_DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _orders(services):
    store = open_site_store(services.site_url, pii_key=services.pii_key)
    try:
        with store.unit_of_work(read_only=True) as uow:
            orders = [o for state in OrderState for o in uow.orders.by_state(state, account=ACCOUNT_ID)]
            return orders, uow.shipments.of_orders(o.id for o in orders)
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def shipment_figures():
    """One figure per dialect, reported when the module's cases are done."""
    figures: dict[str, Figure] = {}
    yield figures
    for figure in figures.values():
        figure.what = f"{figure.cases} kill points, {figure.details.get('delivery_documents', 0)} delivery documents"
        report(figure)


@pytest.fixture
def figure(site_dialect, shipment_figures) -> Figure:
    return shipment_figures.setdefault(site_dialect, Figure(f"shipment crashes [{site_dialect}]", generated=GENERATED))


@pytest.fixture
def shipping(site_dialect, figure, tmp_path, monkeypatch):
    """Orders imported and stored; delivery notes for three of them, one in two packages."""
    with figure.timed(), site_database(site_dialect, tmp_path) as url, \
            running_services(tmp_path, ORDERS, site_url=url) as services:
        for name, value in services.env().items():
            monkeypatch.setenv(name, value)
        run_import("manual__import")
        orders, _ = _orders(services)
        unshipped = [o for o in orders if o.state is OrderState.MEMORIZZATO and o.fulfillment == "MFN"
                     and o.amazon_status_latest == "UNSHIPPED"]
        articles = {o.id: [r for r in o.rows if r.kind == RowKind.ARTICLE] for o in unshipped}
        two = next(o for o in unshipped if len(articles[o.id]) >= 2)
        others = [o for o in unshipped if o is not two][:2]
        at = dt.datetime.now(ROME).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
        base = services.gestionale.base_url
        notes = 0
        for n, row in enumerate(articles[two.id][:2]):
            deliver(base, two.gestionale_document_key, [(row.article_code, int(row.quantity))], carrier="BRT",
                    tracking=f"BRT-2-{n}", shipped=at)
            notes += 1
        for n, order in enumerate(others):
            deliver(base, order.gestionale_document_key,
                    [(r.article_code, int(r.quantity)) for r in articles[order.id]], carrier="GLS",
                    tracking=f"GLS-{n}", shipped=at)
            notes += 1
        yield services, [two, *others], notes


@pytest.mark.parametrize("site_dialect", SITE_DIALECTS)
@pytest.mark.parametrize("point", SHIPMENT_POINTS)
def test_a_run_after_a_crash_leaves_one_package_per_delivery_document(shipping, figure, point):
    services, orders, notes = shipping
    crashed = run_worker(services, "--run-id", "manual__crashed", "--crash", point)
    assert crashed.returncode == -signal.SIGKILL, (
        f"the worker did not reach {point} (exit {crashed.returncode}):\n{crashed.stderr[-3000:]}")

    run_import("manual__after_crash")

    _, shipments = _orders(services)
    recorded = [s for order in orders for s in shipments[order.id]]
    with OrdersClient(SpApiSettings(**(services.amazon.settings_kwargs() | {"timeout": 10.0}))) as amazon:
        at_amazon = {order.id: amazon.shipment_state(order.amazon_order_id) for order in orders}
    packages = sum(len(state.package_reference_ids) for state in at_amazon.values())
    tracked = set().union(*(state.tracking_numbers for state in at_amazon.values()))
    figure.orders = len(orders)
    figure.add(duplicated=max(0, packages - notes) + max(0, len(recorded) - notes),
               lost=len({s.tracking_number for s in recorded} - tracked) + max(0, notes - len(recorded)))
    figure.details["delivery_documents"] = notes
    assert len(recorded) == notes and {s.status for s in recorded} == {ShipmentStatus.CONFIRMED}
    for order in orders:
        state, mine = at_amazon[order.id], shipments[order.id]
        assert state.package_reference_ids == {s.package_reference_id for s in mine}, order.amazon_order_id
        assert state.tracking_numbers == {s.tracking_number for s in mine}
