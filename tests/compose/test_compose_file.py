"""docker-compose.yaml against the Compose Specification's JSON schema, and against the product.

There is no Docker engine here, so the file is checked statically: its structure by the
Compose Specification schema (``compose-spec.json``, source and licence in this folder's
README.md), and its content against what the local runs use: the same connections as
``sandbox/stack.py``, one Amazon connection per example account, the pools of
``sandbox/airflow_cluster.py``, the installed Airflow version. The ``Dockerfile`` is read as text:
its ``runtime`` target (every Airflow service) holds the product only, never the stand-ins or tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from sandbox.airflow_cluster import POOLS
from sandbox.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init"}
STAND_INS = {"amazon-standin", "gestionale-standin"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


@pytest.fixture(scope="module")
def airflow_env(compose) -> dict[str, str]:
    return compose["services"]["airflow-scheduler"]["environment"]


def test_the_file_follows_the_compose_specification(compose):
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
              for error in validator.iter_errors(compose)]
    assert not errors, "\n".join(errors)


def test_the_schema_catches_a_mistake(compose):
    broken = yaml.safe_load(yaml.safe_dump(compose))
    broken["services"]["redis"]["helthcheck"] = broken["services"]["redis"].pop("healthcheck")
    assert not jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).is_valid(broken)


def test_the_celery_topology_is_complete(compose, airflow_env):
    services = compose["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis", "amazon-standin", "gestionale-standin", "mailpit"} <= set(services)
    assert airflow_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert airflow_env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert services["airflow-worker"]["command"] == "celery worker"
    for name in AIRFLOW_SERVICES:
        assert services[name]["build"] == {"context": ".", "target": "runtime"}, name
        assert "${AIRFLOW_PROJ_DIR:-.}/include:/opt/airflow/include" in services[name]["volumes"], name
        assert services[name]["environment"]["PYTHONPATH"].startswith("/opt/airflow/include"), name


def test_the_image_extends_the_installed_airflow_release():
    from importlib.metadata import version

    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert base.startswith(f"apache/airflow:{version('apache-airflow')}-python3.11")


def test_the_stand_ins_run_as_in_the_demo(compose):
    amazon, gestionale = (compose["services"][name] for name in ("amazon-standin", "gestionale-standin"))
    assert amazon["entrypoint"][:3] + amazon["command"] == [
        "python", "-m", "sandbox.amazon", "--port", "8765", "--generate", "300", "--seed", "7", "--time-scale", "50"]
    assert gestionale["entrypoint"][:3] + gestionale["command"] == [
        "python", "-m", "sandbox.gestionale", "--port", "9004", "--data-dir", "/data"]


def test_the_connections_are_the_demo_connections(airflow_env, tmp_path):
    """The same connections, field for field, as the local runs: only the addresses differ."""
    local = LocalStack(tmp_path, amazon_args=[]).airflow_env()  # not started: just its configuration
    wanted = {name for name in local if name.startswith("AIRFLOW_CONN_")}
    assert {name for name in airflow_env if name.startswith("AIRFLOW_CONN_")} == wanted
    for name in wanted:
        ours, theirs = json.loads(airflow_env[name]), json.loads(local[name])
        assert ours.keys() == theirs.keys(), name
        assert ours["conn_type"] == theirs["conn_type"], name
        assert ours.get("extra", {}).keys() == theirs.get("extra", {}).keys(), name
    assert json.loads(airflow_env["AIRFLOW_CONN_PASSWEB_SITE"])["host"].startswith("postgresql+psycopg2://")
    assert airflow_env["SITE_PII_KEY"].startswith("${SITE_PII_KEY:?")


def test_every_example_account_has_its_amazon_connection(airflow_env):
    accounts = load_accounts(DEFAULT_ACCOUNTS_FILE).accounts
    assert airflow_env["AMAZON_ACCOUNTS_FILE"] == "/opt/airflow/include/config/accounts.example.yaml"
    for account in accounts:
        extra = json.loads(airflow_env[f"AIRFLOW_CONN_{account.sp_api_conn_id.upper()}"])["extra"]
        assert extra["selling_partner_id"] == f"SP_{account.id}"
        assert extra["endpoint"] == "http://amazon-standin:8765"


def test_airflow_init_creates_the_pools(compose):
    script = compose["services"]["airflow-init"]["command"][-1]
    for name, (slots, _description) in POOLS.items():
        assert re.search(rf"airflow pools set {name} {slots}\b", script), name


def _dockerfile_stages() -> dict[str, tuple[str, list[str]]]:
    """Each named stage of the Dockerfile: (its base, its instructions, continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    stages: dict[str, tuple[str, list[str]]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if match := re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)$", line, re.I):
            current = []
            stages[match.group(2)] = (match.group(1), current)
        elif line and not line.startswith("#"):
            current.append(line)
    return stages


def _copied(instructions: list[str]) -> set[str]:
    """The build-context paths the COPY instructions take (every word but flags and the destination)."""
    return {source for line in instructions if line.upper().startswith("COPY ")
            for source in [word for word in line.split()[1:] if not word.startswith("--")][:-1]}


def test_airflow_services_run_the_runtime_image_and_the_stand_ins_the_sandbox_image(compose):
    services = compose["services"]
    for name in AIRFLOW_SERVICES | {"airflow-cli", "flower"}:
        assert services[name]["build"]["target"] == "runtime", name
    for name in STAND_INS:
        assert services[name]["build"]["target"] == "sandbox", name
    # Two targets, two image names: one name would let the last build overwrite the other.
    assert len({services[name]["image"] for name in AIRFLOW_SERVICES | STAND_INS}) == 2
    for name in AIRFLOW_SERVICES:
        assert not any("sandbox" in volume for volume in services[name]["volumes"]), name


def test_the_runtime_image_holds_the_product_only():
    stages = _dockerfile_stages()
    assert set(stages) == {"runtime", "sandbox"}
    base, runtime = stages["runtime"]
    assert base == "${AIRFLOW_IMAGE}"
    assert _copied(runtime) == {"requirements.txt", "constraints.txt", "include/", "dags/", "plugins/"}
    installs = [line for line in runtime if "pip install" in line]
    assert len(installs) == 1
    assert re.findall(r"-r\s+(\S+)", installs[0]) == ["/opt/airflow/requirements/requirements.txt"]
    assert not any(word in line for line in runtime for word in ("sandbox", "tests", "requirements-dev"))

    base, sandbox = stages["sandbox"]
    assert base == "runtime"
    assert _copied(sandbox) == {"sandbox/requirements.txt", "sandbox/"}
    # Neither image gets the test tools.
    assert not any("requirements-dev" in line or "tests" in line for line in runtime + sandbox)


def test_the_runtime_requirements_hold_no_test_or_development_tool():
    def pinned(path: Path) -> set[str]:
        return {line.split("==")[0].lower() for line in path.read_text().splitlines()
                if line.strip() and not line.startswith(("#", "-r"))}

    runtime, dev = pinned(ROOT / "requirements.txt"), pinned(ROOT / "requirements-dev.txt")
    assert not runtime & {"pytest", "pytest-timeout", "playwright", "hypothesis", "ruff", "bandit", "aiosmtpd"}
    assert {"pytest", "playwright", "hypothesis", "ruff", "bandit"} <= dev
    assert {"-r requirements.txt", "-r sandbox/requirements.txt"} <= set(
        (ROOT / "requirements-dev.txt").read_text().splitlines())


def test_the_fernet_key_comes_from_the_environment(compose):
    for name in AIRFLOW_SERVICES:
        key = compose["services"][name]["environment"]["AIRFLOW__CORE__FERNET_KEY"]
        assert key.startswith("${AIRFLOW_FERNET_KEY:?"), name  # compose refuses to start without it


def test_the_readme_set_up_line_makes_a_working_fernet_key():
    """README's line for .env (run here) gives a key Fernet accepts, a new one each time."""
    from cryptography.fernet import Fernet

    readme = (ROOT / "README.md").read_text()
    code = re.search(r"""echo "AIRFLOW_FERNET_KEY=\$\(python3 -c '([^']+)'\)" >> \.env""", readme).group(1)
    keys = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)}
    assert len(keys) == 2
    for key in keys:
        Fernet(key.encode())  # raises on a malformed key
