"""Which kind of import a DAG run is, from what Airflow's task SDK says of the run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.sdk.api.datamodels._generated import DagRunType

from amazon_passweb.notify.report import RunKind
from amazon_passweb.orchestration.account_tasks import run_kind


@pytest.mark.parametrize(("run_type", "conf", "kind"), [
    (DagRunType.ASSET_TRIGGERED, {}, RunKind.EVENT),
    (DagRunType.SCHEDULED, {}, RunKind.SCHEDULED),
    ("backfill", {}, RunKind.BACKFILL),
    (DagRunType.MANUAL, {}, RunKind.MANUAL),
    (DagRunType.MANUAL, {"trigger": "pre-sync"}, RunKind.PRE_SYNC),
    ("asset_triggered", None, RunKind.EVENT),
])
def test_run_kind_follows_the_run_type(run_type, conf, kind):
    assert run_kind({"dag_run": SimpleNamespace(run_type=run_type, conf=conf)}) is kind


def test_the_event_run_is_named_in_the_report():
    assert RunKind.EVENT.label == "avviata dalle notifiche Amazon"
