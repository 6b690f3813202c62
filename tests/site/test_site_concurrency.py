"""Two processes import the same 1,000 orders at the same time, one order or one batch of orders
per transaction, the second process in reverse order."""

import multiprocessing

import pytest
from site_concurrent_import import dataset, worker
from sqlalchemy import func, select

from amazon_passweb.site.db import migrate
from amazon_passweb.site.models import Address, Customer, InboxEntry, Order


@pytest.mark.slow
@pytest.mark.parametrize("batched", [False, True], ids=["per_order", "batched"])
def test_two_processes_importing_the_same_orders_leave_one_of_each(dialect, databases, pii_key, batched) -> None:
    engine = databases.engine(dialect)
    migrate(engine)
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=worker, args=(url, pii_key, reverse, batched, start, results))
        for reverse in (False, True)
    ]
    for process in workers:
        process.start()
    start.set()
    created = [results.get(timeout=240) for _ in workers]
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0

    items = dataset()
    buyers = {item.buyer.match_email() or item.buyer.identity(item.ship_to) for item in items}
    with engine.connect() as conn:
        n_orders = conn.execute(select(func.count()).select_from(Order)).scalar_one()
        numbers = conn.execute(select(Order.number).order_by(Order.number)).scalars().all()
        n_customers = conn.execute(select(func.count()).select_from(Customer)).scalar_one()
        n_addresses = conn.execute(select(func.count()).select_from(Address)).scalar_one()
        inbox_statuses = conn.execute(select(InboxEntry.status, func.count()).group_by(InboxEntry.status)).all()
    assert sum(created) == 1000
    assert min(created) > 0, f"the workers did not overlap: {created}"
    assert n_orders == 1000
    assert numbers == list(range(1, 1001))  # no gaps, no duplicates
    assert n_customers == len(buyers) == 250
    assert n_addresses == 250  # one per buyer: the two spellings are the same address
    assert inbox_statuses == [("imported", 1000)]
