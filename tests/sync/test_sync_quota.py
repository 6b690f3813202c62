"""The contract quota: counted per Europe/Rome month, partial syncs never counted, refusal when used up."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sync_builders import STORED, SlowArticles, order_states, read_emails, registrato_order, sync_runs

from amazon_passweb.gestionale.errors import GestionaleUnavailable
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.importer.sync import SyncStatus, WaitPolicy, run_site_sync
from amazon_passweb.orchestration import sync_tasks
from amazon_passweb.site import runs
from amazon_passweb.site.states import SyncType


class Clock:
    """The store's clock (``started_at`` of every run), set by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.now = datetime(2027, 1, 1, tzinfo=UTC)
        monkeypatch.setattr(runs, "utcnow", lambda: self.now)

    def at(self, text: str) -> None:
        self.now = datetime.fromisoformat(text)


def _quota(store, month: date, quota: int):
    with store.unit_of_work(read_only=True) as uow:
        return uow.syncs.quota(month, quota)


def test_quota_is_counted_per_month_in_italian_time(store, accounts, monkeypatch):
    clock = Clock(monkeypatch)
    two_a_month = accounts.model_copy(update={"monthly_sync_quota": 2})
    gestionale = SlowArticles()

    def sync(at: str, sync_type: SyncType = SyncType.CHANGED) -> SyncStatus:
        clock.at(at)
        return run_site_sync(store, gestionale, two_a_month, sync_type, f"run-{at}").status

    assert sync("2027-01-10T08:00:00+00:00") is SyncStatus.COMPLETED
    assert sync("2027-01-31T22:30:00+00:00", SyncType.TOTAL) is SyncStatus.COMPLETED  # 23:30 in Rome
    assert sync("2027-01-31T22:50:00+00:00") is SyncStatus.QUOTA_USED_UP  # 23:50 in Rome: still January
    assert sync("2027-01-31T23:10:00+00:00") is SyncStatus.COMPLETED  # 00:10 on 1 February in Rome

    january, february = _quota(store, date(2027, 1, 15), 2), _quota(store, date(2027, 2, 15), 2)
    assert (january.used, january.available) == (2, 0)
    assert (february.used, february.available) == (1, 1)
    counted = [run["counted"] for run in sync_runs(store) if run["sync_type"] != "partial"]
    assert counted == [True, True, False, True]


def test_partial_syncs_are_never_counted(store, client, accounts):
    it_main = accounts.account("it_main")
    registrato_order(store, it_main)
    push_registrato(store, client, it_main, "manual-1")  # the account DAG's own push
    with store.unit_of_work() as uow:
        changed = uow.syncs.start(SyncType.CHANGED, run_id="sync-1")
    registrato_order(store, it_main)
    push_registrato(store, client, it_main, "manual-2")  # a partial one may run beside a changed one
    with store.unit_of_work() as uow:
        uow.syncs.finish(changed, success=True)
    push_registrato(store, client, it_main, "manual-3")

    runs_by_type = [(run["sync_type"], run["outcome"], bool(run["counted"])) for run in sync_runs(store)]
    assert runs_by_type == [("partial", "success", False), ("changed", "success", True),
                            ("partial", "success", False), ("partial", "success", False)]
    assert set(order_states(store).values()) == {STORED}
    assert _quota(store, datetime.now(UTC).date(), 30).used == 1


def test_a_sync_is_refused_with_an_email_when_the_quota_is_used_up(
        store, site_url, pii_key, client, standin, accounts, mail_sink, monkeypatch, tmp_path):
    accounts_file = tmp_path / "accounts.yaml"
    accounts_file.write_text(json.dumps({**accounts.model_dump(mode="json"), "monthly_sync_quota": 1}))  # JSON is YAML
    monkeypatch.setenv("AMAZON_ACCOUNTS_FILE", str(accounts_file))
    monkeypatch.setenv("SITE_DATABASE_URL", site_url)
    monkeypatch.setenv("SITE_PII_KEY", pii_key)
    monkeypatch.setenv("AIRFLOW_CONN_GESTIONALE_WEBAPI", _gestionale_connection(standin))
    with store.unit_of_work() as uow:  # this month's only sync is spent
        uow.syncs.finish(uow.syncs.start(SyncType.TOTAL, run_id="earlier"), success=True)
    waiting = registrato_order(store, accounts.account("it_main"))

    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="quota mensile esaurita"):
        sync_tasks.run_sync(_context("sync-2", {"import__it_main": "success", "import__eu_de_fr": "success"}))

    assert [(r["sync_type"], r["outcome"], bool(r["counted"])) for r in sync_runs(store)] == [
        ("total", "success", True), ("changed", "failed", False), ("partial", "success", False)]
    assert order_states(store)[waiting] == STORED, "the refused sync still pushed the orders, as a partial one"
    assert _quota(store, datetime.now(UTC).date(), 1).used == 1
    [email] = read_emails(mail_sink.directory)
    assert "RIFIUTATA (quota mensile esaurita)" in email["Subject"]
    body = email.get_body(("plain",)).get_content()
    assert "quota mensile esaurita (1/1 usate" in body
    assert "0 disponibili" in body
    assert "sincronizzazione parziale, non conteggiata" in body


def _gestionale_connection(standin) -> str:
    return json.dumps({"conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": standin.port,
                       "login": "webapi", "password": "webapi", "extra": {"dominio": "demo", "azienda": "DEMO"}})


class _TaskInstance:
    dag_id = "site_gestionale_sync"

    def __init__(self, run_id: str, states: dict[str, str]):
        self.run_id, self._states = run_id, states

    def get_task_states(self, dag_id, task_ids=None, run_ids=None, **_):
        assert dag_id == self.dag_id and run_ids == [self.run_id]
        return {self.run_id: {t: s for t, s in self._states.items() if t in task_ids}}


def _context(run_id: str, states: dict[str, str]) -> dict:
    return {"run_id": run_id, "params": {"sync_type": "changed"}, "ti": _TaskInstance(run_id, states)}


class _Unreachable:
    def clock(self, *args, **kwargs):
        raise GestionaleUnavailable("connection refused")

    records = changed_since = clock


def test_a_sync_that_fails_is_not_counted(store, accounts):
    report = run_site_sync(store, _Unreachable(), accounts, SyncType.TOTAL, "sync-down")

    assert report.status is SyncStatus.FAILED
    assert report.message.startswith("Sincronizzazione totale interrotta. Gestionale non raggiungibile")
    assert "connection refused" not in report.message, "the technical detail goes to the log, not to the operator"
    assert [(r["outcome"], bool(r["counted"])) for r in sync_runs(store)] == [("failed", False)]
    assert report.quota.used == 0


def test_a_sync_killed_while_running_stops_blocking_once_airflow_says_it_is_over(store, client, accounts):
    # The killed sync opened its run as every sync does, then its worker died before closing it.
    with store.unit_of_work() as uow:
        uow.syncs.start(SyncType.CHANGED, run_id="killed")
    still_running = run_site_sync(store, client, accounts, SyncType.CHANGED, "sync-1",
                                  wait=WaitPolicy(timeout=timedelta(0)), is_active=lambda run_id: True)
    assert still_running.status is SyncStatus.BUSY
    over = run_site_sync(store, client, accounts, SyncType.CHANGED, "sync-2",
                         wait=WaitPolicy(timeout=timedelta(0)), is_active=lambda run_id: run_id != "killed")
    assert over.status is SyncStatus.COMPLETED
    runs_seen = [(r["run_id"], r["outcome"], bool(r["counted"])) for r in sync_runs(store)]
    assert runs_seen == [("killed", "abandoned", False), ("sync-2", "success", True)]
