"""One account's Amazon import failed: the sync still carries the other accounts' orders, and the
report names the failed account."""

from __future__ import annotations

from types import SimpleNamespace

from sync_builders import STORED, WAITING, order_states, read_emails, registrato_order, sync_runs

from amazon_passweb.importer.pipeline import sync_and_notify
from amazon_passweb.importer.sync import SyncStatus
from amazon_passweb.notify import SendStatus
from amazon_passweb.orchestration.sync_tasks import failed_imports
from amazon_passweb.site.states import SyncType


class _TaskInstance:
    dag_id = "site_gestionale_sync"
    run_id = "scheduled__2027-01-10"

    def get_task_states(self, dag_id, task_ids=None, run_ids=None, **_):
        # eu_de_fr's trigger task failed with its account's run; the order of keys is Airflow's, not ours
        return {self.run_id: {"import__eu_de_fr": "failed", "import__it_main": "success"}}

    @staticmethod
    def get_dag(dag_id):
        return SimpleNamespace(is_paused=False)

    @staticmethod
    def get_dagrun_state(dag_id, run_id):
        return "failed"


def test_the_failed_imports_are_read_from_the_trigger_tasks(accounts):
    failed = failed_imports({"ti": _TaskInstance()}, accounts)

    assert list(failed) == ["eu_de_fr"]
    assert failed["eu_de_fr"].startswith("esito: non riuscita; vedi l'esecuzione")
    assert "pre_sync__scheduled__2027-01-10__eu_de_fr" in failed["eu_de_fr"]


def test_a_failed_account_import_does_not_stop_the_others(store, client, accounts, mail_sink):
    it_main, eu_de_fr = accounts.account("it_main"), accounts.account("eu_de_fr")
    new_orders = [registrato_order(store, it_main) for _ in range(3)]
    failed = {eu_de_fr.id: "esito: non riuscita; vedi l'esecuzione pre_sync__sync-1__eu_de_fr di "
                           "amazon_orders__eu_de_fr"}

    report, email = sync_and_notify(store, client, accounts, SyncType.CHANGED, "sync-1", failed)

    assert report.status is SyncStatus.COMPLETED
    assert {o: order_states(store)[o] for o in new_orders} == dict.fromkeys(new_orders, STORED)
    assert [(a.account_id, a.pushed, a.import_failure is not None) for a in report.accounts] == [
        ("it_main", 3, False), ("eu_de_fr", 0, True)]
    [run] = sync_runs(store)
    assert (run["sync_type"], run["outcome"], bool(run["counted"])) == ("changed", "success", True)
    assert "importazione Amazon non riuscita per: eu_de_fr" in run["message"]

    assert email.status is SendStatus.SENT
    [message] = read_emails(mail_sink.directory)
    assert "importazione Amazon non riuscita: eu_de_fr" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "eu_de_fr (Amazon Germania e Francia): importazione Amazon NON RIUSCITA" in body
    assert "it_main (Amazon Italia - negozio principale): importazione Amazon completata; 3 ordini inviati" in body
    # the site's first sync: asked changed, it brought everything, and the email says so with the counts
    assert "prima sincronizzazione del sito: eseguita come totale" in body
    assert f"dal gestionale {report.articles} articoli, 0 clienti e {report.table_rows} righe" in body
    assert report.first_total and report.articles > 0 and report.table_rows > 0


def test_orders_left_by_a_failed_account_go_through_too(store, client, accounts, mail_sink):
    """Its import brought nothing new, but orders from its earlier runs may still be waiting."""
    eu_de_fr = accounts.account("eu_de_fr")
    earlier = registrato_order(store, eu_de_fr)

    report, _ = sync_and_notify(store, client, accounts, SyncType.TOTAL, "sync-2", {eu_de_fr.id: "esito: non riuscita"})

    assert order_states(store)[earlier] == STORED
    assert WAITING not in order_states(store).values()
    assert [a.account_id for a in report.failed_imports] == ["eu_de_fr"]
