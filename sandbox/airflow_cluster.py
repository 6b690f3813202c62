"""Real Airflow components as separate processes, for the tests that need a scheduler.

``airflow api-server``, ``scheduler``, ``dag-processor`` and ``triggerer`` run on
a metadata database of their own (a SQLite file by default, or any SQLAlchemy
URL, e.g. PostgreSQL) with the LocalExecutor. Backfills, triggered DAGs waited for
in the triggerer, and the UI plugin all behave as in production. Users log in
through Airflow's simple auth manager; the REST API is reached with a JWT.

With ``executor="CeleryExecutor"`` and a ``broker_url`` (Redis), an ``airflow celery
worker`` runs the tasks, as in the docker-compose deployment. Its tasks go to a queue
named after this cluster, so clusters sharing a broker never take each other's tasks.
The pools of :data:`POOLS` are created on start-up in every case.

    with LocalAirflow(workdir, env=stack.airflow_env()) as airflow:
        airflow.unpause("amazon_orders__it_main")
        run = airflow.trigger("amazon_orders__it_main")
        airflow.wait_for_run("amazon_orders__it_main", run["dag_run_id"])
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import requests

from sandbox.stack import ROOT, free_port, wait_for_port

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
CELERY_WORKER = "celery-worker"
# Airflow pools: name -> (slots, description). docker-compose.yaml's airflow-init creates the same.
POOLS = {
    "gestionale_webapi": (1, "Tasks calling the gestionale WebAPI: one slot = one task = up to 5 requests, "
                             "the WebAPI's limit per user"),
}
SQLITE_LOCK_RETRIES = 5
ADMIN = ("admin", "admin-password")
OPERATOR = ("operatore", "operatore-password")


class LocalAirflow:
    def __init__(self, workdir: str | Path, env: dict[str, str], *, metadata_url: str | None = None,
                 executor: str = "LocalExecutor", extra_env: dict[str, str] | None = None,
                 broker_url: str | None = None, worker_concurrency: int = 4):
        self.workdir = Path(workdir).resolve()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        home = self.workdir / "airflow-cluster"
        self.env = {
            **env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": "local-cluster-jwt-secret",
            "AIRFLOW__API__SECRET_KEY": "local-cluster-secret-key",
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN[0]}:admin,{OPERATOR[0]}:op",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
            "AIRFLOW__TRIGGERER__DEFAULT_CAPACITY": "50",
            **(extra_env or {}),
        }
        if metadata_url:
            self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = metadata_url
        self.celery = executor == "CeleryExecutor"
        self.celery_queue = f"local-airflow-{os.getpid()}-{self.port}"
        if self.celery:
            self.env.update(self._celery_env(broker_url, worker_concurrency))
        self.processes: dict[str, subprocess.Popen] = {}
        self._tokens: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> LocalAirflow:
        home = Path(self.env["AIRFLOW_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        (home / "passwords.json").write_text(json.dumps({ADMIN[0]: ADMIN[1], OPERATOR[0]: OPERATOR[1]}))
        try:
            self.cli("db", "migrate", check=True)
            for component in COMPONENTS:
                self._start(component)
            if self.celery:
                self._start_celery_worker()
            wait_for_port(self.port, self.processes["api-server"], self.workdir / "api-server.log", timeout=120)
            self._wait_healthy()
            self._create_pools()
            if self.celery:
                self._wait_celery_worker()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop every component and everything it started (each runs in its own process group).

        Task processes put themselves in process groups of their own: they are found among
        the components' descendants first and killed last, should they outlive their parents.
        """
        descendants = self._descendants()
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for child in descendants:
            with contextlib.suppress(psutil.Error):
                child.kill()
        self.processes.clear()

    def _descendants(self) -> list[psutil.Process]:
        found = []
        for process in self.processes.values():
            with contextlib.suppress(psutil.Error):
                found += psutil.Process(process.pid).children(recursive=True)
        return found

    def _start(self, component: str) -> None:
        self._spawn(component, [component] + (["--port", str(self.port)] if component == "api-server" else []))

    def _spawn(self, name: str, args: list[str]) -> None:
        """``airflow *args`` in a process group of its own, logging to ``<workdir>/<name>.log``."""
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), *args], env=self.env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _celery_env(self, broker_url: str | None, concurrency: int) -> dict[str, str]:
        """Task results go to the metadata database (Airflow's default: ``db+`` its URL)."""
        if not broker_url:
            raise ValueError("the CeleryExecutor needs a broker_url, e.g. redis://127.0.0.1:6379/11")
        return {
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.celery_queue,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }

    def _start_celery_worker(self) -> None:
        self._spawn(CELERY_WORKER, ["celery", "worker", "--queues", self.celery_queue,
                                    "--celery-hostname", f"{self.celery_queue}@%h", "--without-gossip",
                                    "--without-mingle"])

    def _wait_celery_worker(self, timeout: float = 120) -> None:
        """Until the worker says it is ready to take tasks from the broker."""
        log = self.workdir / f"{CELERY_WORKER}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[CELERY_WORKER].poll() is not None:
                raise RuntimeError(f"the Celery worker exited; see {log}:\n{log.read_text()[-3000:]}")
            if " ready." in log.read_text(errors="replace"):
                return
            time.sleep(1)
        raise TimeoutError(f"the Celery worker is not ready after {timeout:.0f} s; see {log}")

    def _create_pools(self) -> None:
        for name, (slots, description) in POOLS.items():
            body = {"name": name, "slots": slots, "description": description, "include_deferred": False}
            answer = self.api("POST", "/pools", json=body)
            if answer.status_code == 409:  # already there (a metadata database used before): set it again
                answer = self.api("PATCH", f"/pools/{name}", json=body)
            answer.raise_for_status()

    def _wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
                if all(health.get(part, {}).get("status") == "healthy"
                       for part in ("metadatabase", "scheduler", "dag_processor", "triggerer")):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(1)
        raise TimeoutError(f"Airflow is not healthy after {timeout:.0f} s; logs in {self.workdir}")

    def cli(self, *args: str, check: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([str(Path(sys.executable).parent / "airflow"), *args], env=self.env, cwd=ROOT,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    # -- REST API ----------------------------------------------------------

    def token(self, user: tuple[str, str] = ADMIN) -> str:
        if user[0] not in self._tokens:
            answer = requests.post(f"{self.base_url}/auth/token", json={"username": user[0], "password": user[1]},
                                   timeout=30)
            answer.raise_for_status()
            self._tokens[user[0]] = answer.json()["access_token"]
        return self._tokens[user[0]]

    def api(self, method: str, path: str, *, user: tuple[str, str] = ADMIN, **kwargs: Any) -> requests.Response:
        """One REST call. On a SQLite metadata database Airflow answers 503 "Database is locked" while
        another component writes (e.g. the scheduler closing a backfill): such an answer is retried."""
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        for _attempt in range(SQLITE_LOCK_RETRIES):
            answer = requests.request(method, f"{self.base_url}/api/v2{path}", headers=headers, timeout=60, **kwargs)
            if answer.status_code != 503 or "Database is locked" not in answer.text:
                break
            time.sleep(1)
        return answer

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api("GET", f"/dags/{dag_id}").status_code == 200:
                return
            time.sleep(1)
        raise TimeoutError(f"DAG {dag_id} was not parsed within {timeout:.0f} s")

    def unpause(self, dag_id: str) -> None:
        self.wait_for_dag(dag_id)
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()

    def trigger(self, dag_id: str, conf: dict | None = None, logical_date: str | None = None) -> dict:
        body = {"conf": conf or {}, "logical_date": logical_date}
        answer = self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)
        answer.raise_for_status()
        return answer.json()

    def runs(self, dag_id: str) -> list[dict]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "id"})
        answer.raise_for_status()
        return answer.json()["dag_runs"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()
            if run.get("state") in ("success", "failed"):
                return run
            time.sleep(2)
        raise TimeoutError(f"run {run_id} of {dag_id} did not finish within {timeout:.0f} s")

    def wait_for_runs(self, dag_id: str, count: int, timeout: float = 900) -> list[dict]:
        """Wait until ``count`` runs of the DAG exist and all have finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs(dag_id)
            if len(runs) >= count and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            time.sleep(2)
        raise TimeoutError(f"{dag_id}: {count} finished runs not reached within {timeout:.0f} s")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        answer.raise_for_status()
        return {ti["task_id"]: ti["state"] for ti in answer.json()["task_instances"]}
