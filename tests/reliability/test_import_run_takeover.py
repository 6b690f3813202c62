"""An import-run record left open by a run Airflow no longer runs does not block the account forever."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amazon_passweb.config import load_accounts
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.importer.window import RunKind, Window
from amazon_passweb.site.errors import ImportAlreadyRunning
from amazon_passweb.site.states import RunOutcome
from amazon_passweb.site.unit_of_work import open_site_store

ACCOUNT = load_accounts().account("it_main")
WINDOW = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC), RunKind.MANUAL)


@pytest.fixture()
def store(tmp_path, pii_key):
    store = open_site_store(f"sqlite:///{tmp_path / 'site.db'}", pii_key=pii_key, upgrade=True)
    yield store
    store.dispose()


def _start_import_run(store, account, run_id, window, *, is_active) -> int:
    return AccountImport(store, account, run_id).start(window, is_active).import_run_id


def _runs(store):
    with store.unit_of_work() as uow:
        return {r.run_id: r.outcome for r in uow.imports.recent(ACCOUNT.id)}


def test_a_retry_of_the_same_airflow_run_takes_over_its_own_record(store):
    first = _start_import_run(store, ACCOUNT, "run-a", WINDOW, is_active=lambda run_id: True)
    assert _start_import_run(store, ACCOUNT, "run-a", WINDOW, is_active=lambda run_id: True) == first


def test_another_active_run_is_refused(store):
    _start_import_run(store, ACCOUNT, "run-a", WINDOW, is_active=lambda run_id: True)
    with pytest.raises(ImportAlreadyRunning, match="already running"):
        _start_import_run(store, ACCOUNT, "run-b", WINDOW, is_active=lambda run_id: run_id == "run-a")
    assert _runs(store) == {"run-a": RunOutcome.RUNNING}


def test_a_record_of_a_dead_run_is_closed_as_abandoned(store):
    _start_import_run(store, ACCOUNT, "killed", WINDOW, is_active=lambda run_id: True)
    new = _start_import_run(store, ACCOUNT, "run-b", WINDOW, is_active=lambda run_id: False)
    assert _runs(store) == {"killed": RunOutcome.ABANDONED, "run-b": RunOutcome.RUNNING}
    with store.unit_of_work() as uow:
        assert uow.imports.get(new).run_id == "run-b"
        assert "killed" in uow.imports.recent(ACCOUNT.id)[-1].message
