"""Test-wide settings, applied before anything imports Airflow."""

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A private Airflow home per test session: never the developer's real one.
_airflow_home = tempfile.mkdtemp(prefix="airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _airflow_home)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
# Subprocesses (airflow CLI, stand-ins) import the product the same way pytest does.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT / "include"), str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)

# Every gestionale stand-in of the session (in-process or a process) records the requests it
# receives here; tests/conformance checks them against the published WebAPI description last.
_request_log_fd, _request_log = tempfile.mkstemp(prefix="gestionale-requests-", suffix=".jsonl")
os.close(_request_log_fd)
os.environ.setdefault("GESTIONALE_REQUEST_LOG", _request_log)

# The fixtures the folders share, one module per kind (see tests/fixtures/__init__.py).
pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.keys",
    "tests.fixtures.accounts",
    "tests.fixtures.stores",
    "tests.fixtures.standins",
    "tests.fixtures.mail",
    "tests.fixtures.broker",
]


def pytest_collection_modifyitems(session, config, items):
    """Tests marked ``runs_last`` read what the rest of the session did: run them at the end."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)
