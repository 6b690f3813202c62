"""Real Airflow components as separate processes, for the tests that need a scheduler.

``airflow api-server``, ``scheduler``, ``dag-processor`` and ``triggerer`` run on
a metadata database of their own (a SQLite file by default, or any SQLAlchemy
URL, e.g. PostgreSQL) with the LocalExecutor. Backfills, triggered DAGs waited for
in the triggerer, and the UI plugin all behave as in production. Users log in
through Airflow's simple auth manager; the REST API is reached with a JWT.

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

import requests

from sandbox.stack import ROOT, free_port, wait_for_port

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
ADMIN = ("admin", "admin-password")
OPERATOR = ("operatore", "operatore-password")


class LocalAirflow:
    def __init__(self, workdir: str | Path, env: dict[str, str], *, metadata_url: str | None = None,
                 executor: str = "LocalExecutor", extra_env: dict[str, str] | None = None):
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
            wait_for_port(self.port, self.processes["api-server"], self.workdir / "api-server.log", timeout=120)
            self._wait_healthy()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop every component and everything it started (each runs in its own process group)."""
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def _start(self, component: str) -> None:
        log = (self.workdir / f"{component}.log").open("wb")
        args = [component] + (["--port", str(self.port)] if component == "api-server" else [])
        self.processes[component] = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), *args], env=self.env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

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
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base_url}/api/v2{path}", headers=headers, timeout=60, **kwargs)

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
