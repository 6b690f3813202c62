"""Rule: a dry run plans every order (would create / skipped / failed) and writes nothing."""

from importer_helpers import ES, address, amazon_order, inbox_entry, item, private_buyer, site_counts

from amazon_passweb.config import AmazonStatus
from amazon_passweb.importer.dry_run import plan_order
from amazon_passweb.notify.report import Outcome

HISTORY_AND_RUNS = ("inbox_history", "import_runs", "sync_runs", "sku_mappings", "order_number_counters")


def test_a_dry_run_plans_each_order_and_writes_nothing(importer, store, it_main, gestionale_db):
    imported = amazon_order()
    importer.run([imported])
    orders = {
        "new buyer": amazon_order(),
        "returning buyer": amazon_order(buyer=imported.buyer, delivery=imported.delivery_address),
        "already imported": imported,
        "other status": amazon_order(status=AmazonStatus.CANCELLED),
        "other marketplace": amazon_order(marketplace=ES),
        "unknown sku": amazon_order(item("NOPE-9")),
        "afn without buyer": amazon_order(afn=True, no_buyer_data=True),
    }
    site, gestionale = site_counts(store, *HISTORY_AND_RUNS), gestionale_db.counts()

    with store.unit_of_work() as uow:
        plan = {name: plan_order(uow, it_main, order) for name, order in orders.items()}

    assert {name: line.outcome for name, line in plan.items()} == {
        "new buyer": Outcome.WOULD_CREATE,
        "returning buyer": Outcome.WOULD_CREATE,
        "already imported": Outcome.SKIPPED,
        "other status": Outcome.SKIPPED,
        "other marketplace": Outcome.SKIPPED,
        "unknown sku": Outcome.FAILED,
        "afn without buyer": Outcome.INCOMPLETE,
    }
    assert (plan["new buyer"].customer_is_new, plan["new buyer"].address_is_new) == (True, True)
    returning = plan["returning buyer"]
    assert (returning.customer_is_new, returning.address_is_new) == (False, False)
    assert returning.customer_code == gestionale_db.document(imported.amazon_order_id)["cod_conto"]
    assert plan["already imported"].reason == f"Già importato: ordine sito {plan['already imported'].site_order_number}"
    assert plan["other status"].reason.startswith("Stato Amazon CANCELLED non tra gli stati importati")
    assert plan["other marketplace"].reason.startswith(f"Marketplace {ES} non collegato all'account")
    assert plan["unknown sku"].reason.startswith("SKU «NOPE-9»") and "'NOPE-9'" in plan["unknown sku"].detail
    assert site_counts(store, *HISTORY_AND_RUNS) == site
    assert gestionale_db.counts() == gestionale


def test_the_dry_run_predicts_a_new_customer_when_the_import_would_create_one(importer, store, it_main):
    where = address("Anna Neri", "Via Po 3", "10121", "Torino", province="TO")
    importer.run([amazon_order(buyer=private_buyer("Anna Neri", None), delivery=where)], run_id="run-1")
    with_email = amazon_order(buyer=private_buyer("Anna Neri", "anna.neri@marketplace.amazon.it"), delivery=where)
    without_email = amazon_order(buyer=private_buyer("Anna Neri", None), delivery=where)

    with store.unit_of_work() as uow:
        plan = [plan_order(uow, it_main, order) for order in (with_email, without_email)]
    importer.run([with_email, without_email], run_id="run-2")

    real = [inbox_entry(store, it_main, o.amazon_order_id).customer_new for o in (with_email, without_email)]
    assert [line.customer_is_new for line in plan] == real == [True, False]
