"""DAG runs with ``airflow dags test --use-executor``, task logs written as a worker writes them.

``airflow dags test`` runs the scheduler's loop in the command; with ``--use-executor`` each task try
runs in a process of its own under Airflow's task supervisor (LocalExecutor), which writes the task
log files (``AIRFLOW_HOME/logs/dag_id=…/run_id=…/task_id=…/attempt=N.log``, one per try) and sends
XComs and states through the execution API, as in production. (Plain ``dags test`` runs the tasks
inside the command and writes no task log file.)

One metadata database and one ``airflow api-server`` (the execution API the task processes report
to) serve every run; each run is a command of its own, with its own environment (its connections),
so several runs may go on at once: the metadata database is then PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from sandbox.stack import ROOT, free_port, wait_for_port

AIRFLOW = str(Path(sys.executable).parent / "airflow")


@dataclass
class DagTest:
    """One ``airflow dags test`` command: its run id once the run exists, its output files."""

    name: str
    dag_id: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path
    run_id: str | None = None
    stopped_after_run: bool = False  # the command outlived its run and was stopped

    def wait(self, airflow: DagTestAirflow, timeout: float, grace: float = 30.0) -> None:
        """Until the command exits, or its run has ended ``grace`` seconds ago: the LocalExecutor's
        shutdown may wait forever on an idle worker once the run is over (everything is written by
        then), so the command is stopped."""
        deadline, ended = time.monotonic() + timeout, None
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.name}: airflow dags test still running after {timeout:.0f} s")
            if ended is None and airflow.run_state(self) in ("success", "failed"):
                ended = time.monotonic()
            if ended is not None and time.monotonic() - ended > grace:
                self.stop()
                self.stopped_after_run = True
                break
            time.sleep(1)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


class DagTestAirflow:
    """``with DagTestAirflow(workdir, metadata_url, env) as airflow: run = airflow.start(...)``."""

    def __init__(self, workdir: Path, metadata_url: str, env: dict[str, str]):
        self.workdir = workdir
        self.home = workdir / "airflow"
        self.metadata_url = metadata_url
        port = free_port()
        self.settings = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": "dags-test-jwt-secret",
            "AIRFLOW__API__SECRET_KEY": "dags-test-secret-key",
        }
        self.port = port
        self.env = self.with_settings(env)
        self.engine = create_engine(metadata_url)
        self.api_server: subprocess.Popen | None = None

    def with_settings(self, env: dict[str, str]) -> dict[str, str]:
        return {**env, **self.settings}

    def __enter__(self) -> DagTestAirflow:
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            self.cli("db", "migrate")
            self.cli("dags", "reserialize")  # the DAGs are in the database before runs start side by side
            log = (self.workdir / "api-server.log").open("wb")
            self.api_server = subprocess.Popen([AIRFLOW, "api-server", "--port", str(self.port)], env=self.env,
                                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            wait_for_port(self.port, self.api_server, self.workdir / "api-server.log", timeout=120)
            self._wait_healthy()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.api_server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.api_server.pid, signal.SIGTERM)
            try:
                self.api_server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.api_server.pid, signal.SIGKILL)
            self.api_server = None
        self.engine.dispose()

    def cli(self, *args: str) -> None:
        result = subprocess.run([AIRFLOW, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if result.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")

    def _wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException, ValueError):
                health = requests.get(f"http://127.0.0.1:{self.port}/api/v2/monitor/health", timeout=5).json()
                if health.get("metadatabase", {}).get("status") == "healthy":
                    return
            time.sleep(1)
        raise TimeoutError(f"the api-server is not healthy after {timeout:.0f} s; see {self.workdir}")

    def run_ids(self, dag_id: str) -> set[str]:
        with self.engine.connect() as db:
            return set(db.execute(text("SELECT run_id FROM dag_run WHERE dag_id = :d"), {"d": dag_id}).scalars())

    def start(self, name: str, dag_id: str, env: dict[str, str], conf: str, *, executor: bool = True,
              timeout: float = 120) -> DagTest:
        """``airflow dags test DAG --use-executor --conf CONF`` with ``env`` (without ``executor``: plain
        ``dags test``, the tasks inside the command); returns once its run exists, so that the next
        command does not write the same DAG rows at the same moment."""
        before = self.run_ids(dag_id)
        stdout, stderr = self.workdir / f"{name}.stdout", self.workdir / f"{name}.stderr"
        flags = ["--use-executor"] if executor else []
        process = subprocess.Popen([AIRFLOW, "dags", "test", dag_id, *flags, "--conf", conf],
                                   env=self.with_settings(env), cwd=ROOT, stdout=stdout.open("wb"),
                                   stderr=stderr.open("wb"), start_new_session=True)
        run = DagTest(name, dag_id, process, stdout, stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self.run_ids(dag_id) - before
            if new:
                [run.run_id] = new
                return run
            if process.poll() is not None:
                raise RuntimeError(f"{name}: airflow dags test exited with {process.returncode}:\n"
                                   f"{run.output()[-3000:]}")
            time.sleep(0.5)
        raise TimeoutError(f"{name}: no DAG run after {timeout:.0f} s")

    def run_state(self, run: DagTest) -> str:
        with self.engine.connect() as db:
            return db.execute(text("SELECT state FROM dag_run WHERE run_id = :r AND dag_id = :d"),
                              {"r": run.run_id, "d": run.dag_id}).scalar_one()

    def run_seconds(self, run: DagTest) -> float:
        """From the run's start to its end, as the metadata database recorded them."""
        with self.engine.connect() as db:
            start, end = db.execute(text("SELECT start_date, end_date FROM dag_run WHERE run_id = :r AND dag_id = :d"),
                                    {"r": run.run_id, "d": run.dag_id}).one()
        return (end - start).total_seconds()

    def task_tries(self, run: DagTest) -> dict[str, tuple[str, int]]:
        """task id → (state, tries)."""
        with self.engine.connect() as db:
            rows = db.execute(text("SELECT task_id, state, try_number FROM task_instance WHERE run_id = :r "
                                   "AND dag_id = :d"), {"r": run.run_id, "d": run.dag_id})
            return {task: (state, tries) for task, state, tries in rows}

    def xcoms(self, run: DagTest) -> list[tuple[str, str, str]]:
        """(task id, key, value as stored) of every XCom of the run."""
        with self.engine.connect() as db:
            rows = db.execute(text("SELECT task_id, key, CAST(value AS TEXT) FROM xcom WHERE run_id = :r "
                                   "AND dag_id = :d"), {"r": run.run_id, "d": run.dag_id})
            return [tuple(row) for row in rows]

    def task_log_files(self, run: DagTest) -> list[Path]:
        return sorted((self.home / "logs" / f"dag_id={run.dag_id}" / f"run_id={run.run_id}").rglob("*.log"))
