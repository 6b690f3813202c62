"""The whole local stack for the demo and the end-to-end tests.

Both stand-ins run as their own processes (``python -m sandbox.amazon`` and
``python -m sandbox.gestionale``), the SMTP sink in this process, and Airflow
runs a DAG with ``airflow dags test`` on SQLite, its connections given as
``AIRFLOW_CONN_*`` environment variables: exactly how an integrator points the
product at real services, with other addresses.

The site database's buyer data is encrypted with the key ``pii_key`` names: by default ``demo``,
the explicit request for the public demo key (SQLite only), given to every process as
``SITE_PII_KEY``. A test with a real key (or a PostgreSQL site) passes its own.

With ``notifications`` (True: every account; or the ids of some), a local SQS (``sandbox/sqs.py``)
runs too, with one queue per such account; the Amazon stand-in publishes its ORDER_CHANGE
notifications there (once an account's ``notifications setup`` subscribed it), and the accounts file
the stack hands to Airflow is the given one with a ``notifications`` block for each such account.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from amazon_passweb.site.crypto import DEMO_KEY_NAME, KEY_ENV
from sandbox.mailsink import MailSink

if TYPE_CHECKING:
    from amazon_passweb.site.unit_of_work import SiteStore
    from sandbox.sqs import LocalSqs, Queue

ROOT = Path(__file__).resolve().parent.parent
AMAZON = {"client_id": "amzn1.application-oa2-client.standin", "client_secret": "standin-client-secret",
          "refresh_token": "Atzr|standin-refresh-token"}
GESTIONALE = {"user": "webapi", "password": "webapi", "dominio": "demo", "azienda": "DEMO"}
STANDIN_SELLER_ID = "A1STANDINSELLER"  # the seller the Amazon stand-in is, in its notifications


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}; see {log}:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s; see {log}")


class LocalStack:
    """``with LocalStack(workdir, amazon_args=[...]) as stack: stack.dags_test(dag_id)``."""

    def __init__(self, workdir: str | Path, *, amazon_args: list[str], gestionale_args: list[str] = (),
                 accounts_file: str | Path | None = None, amazon_time_scale: float = 50.0,
                 pii_key: str = DEMO_KEY_NAME,
                 amazon_credentials: dict[str, str] | None = None,
                 gestionale_credentials: dict[str, str] | None = None,
                 notifications: bool | Collection[str] = False, seller_id: str = STANDIN_SELLER_ID):
        """``amazon_credentials`` (client_id, client_secret, refresh_token) and ``gestionale_credentials``
        (user, password) replace the defaults of :data:`AMAZON` and :data:`GESTIONALE`: both the
        stand-ins and the connections of :meth:`airflow_env` use them. ``notifications``: the accounts
        that listen to a queue of their own (True: all of them); ``seller_id`` is the stand-in's seller."""
        self.workdir = Path(workdir).resolve()
        self.amazon = {**AMAZON, **(amazon_credentials or {})}
        self.gestionale = {**GESTIONALE, **(gestionale_credentials or {})}
        self.amazon_args = ["--client-id", self.amazon["client_id"], "--client-secret", self.amazon["client_secret"],
                            "--refresh-token", self.amazon["refresh_token"], *amazon_args]
        self.gestionale_args = ["--user", self.gestionale["user"], "--password", self.gestionale["password"],
                                *gestionale_args]
        self.accounts_file = Path(accounts_file).resolve() if accounts_file else None
        self.amazon_time_scale = amazon_time_scale
        self.processes: list[subprocess.Popen] = []
        self.process_by_name: dict[str, subprocess.Popen] = {}
        self.amazon_port = free_port()
        self.gestionale_port = free_port()
        self.mail = MailSink(self.workdir / "mail")
        self.site_db = self.workdir / "site.db"
        self.site_url = f"sqlite:///{self.site_db}"
        self.pii_key = pii_key
        self.notifications = notifications
        self.seller_id = seller_id
        self.sqs: LocalSqs | None = None
        self.queues: dict[str, Queue] = {}

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> LocalStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            publishing: list[str] = []
            if self.notifications:
                self._start_sqs()
                publishing = self.notification_args(self.seller_id)
            self._start("amazon", self.amazon_port, [
                "-m", "sandbox.amazon", "--port", str(self.amazon_port),
                "--time-scale", str(self.amazon_time_scale), *self.amazon_args, *publishing],
                extra_env=self.sqs.client_env() if self.sqs else None)
            self._start("gestionale", self.gestionale_port, [
                "-m", "sandbox.gestionale", "--port", str(self.gestionale_port),
                "--data-dir", str(self.workdir / "gestionale"), *self.gestionale_args])
            self.mail.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        if self.sqs:
            self.sqs.stop()
        with contextlib.suppress(AssertionError, RuntimeError, AttributeError):
            self.mail.stop()  # fails only when it never started

    def _start(self, name: str, port: int, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = self.workdir / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen([sys.executable, *args], stdout=handle, stderr=subprocess.STDOUT,
                                   cwd=ROOT, env={**self._python_env(), **(extra_env or {})})
        self.processes.append(process)
        self.process_by_name[name] = process
        wait_for_port(port, process, log)

    def stop(self, name: str) -> None:
        """Stop one stand-in (``amazon`` or ``gestionale``): an outage of that service until the end."""
        process = self.process_by_name[name]
        process.terminate()
        process.wait(timeout=10)

    # -- notifications -----------------------------------------------------

    def _start_sqs(self) -> None:
        """moto's SQS, a queue per listening account, and the accounts file that names them."""
        from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
        from sandbox.sqs import CONNECTION_ID, LocalSqs, queue_name

        self.sqs = LocalSqs(self.workdir / "sqs")
        self.sqs.start()
        raw = yaml.safe_load((self.accounts_file or DEFAULT_ACCOUNTS_FILE).read_text())
        for account in raw["accounts"]:
            if self.notifications is True or account["id"] in self.notifications:
                queue = self.queues[account["id"]] = self.sqs.create_queue(queue_name(account["id"]))
                account["notifications"] = {"queue_url": queue.url, "aws_conn_id": CONNECTION_ID,
                                            "seller_id": self.seller_id}
        self.accounts_file = self.workdir / "accounts-notifications.yaml"
        self.accounts_file.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))

    def notification_args(self, seller_id: str) -> list[str]:
        """The Amazon stand-in's options to publish, as seller ``seller_id``, to this stack's SQS."""
        return ["--sqs-endpoint", self.sqs.endpoint_url, "--seller-id", seller_id]

    def setup_notifications(self, account_id: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """What the integrator runs once per account: destination (the account's queue) and ORDER_CHANGE
        subscription, with the account's Airflow connection (``env``: :meth:`airflow_env` unless given).
        Raises when the command fails."""
        result = subprocess.run(
            [sys.executable, "-m", "amazon_passweb", "notifications", "setup", account_id,
             "--queue-arn", self.queues[account_id].arn],
            env=env or self.airflow_env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"notifications setup {account_id} failed:\n{result.stdout[-2000:]}\n"
                               f"{result.stderr[-2000:]}")
        return result

    @property
    def amazon_url(self) -> str:
        return f"http://127.0.0.1:{self.amazon_port}"

    # -- Airflow -----------------------------------------------------------

    def _python_env(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(ROOT / "include"), str(ROOT)]
        env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        env[KEY_ENV] = self.pii_key
        return env

    def open_site_store(self) -> SiteStore:
        """The site store of this stack, opened with its key (as its processes open it)."""
        from amazon_passweb.site.unit_of_work import open_site_store

        return open_site_store(self.site_url, pii_key=self.pii_key)

    def airflow_env(self) -> dict[str, str]:
        """Everything Airflow needs, connections included, for a run against this stack."""
        env = self._python_env()
        env.update({
            "AIRFLOW_HOME": str(self.workdir / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW_CONN_PASSWEB_SITE": json.dumps({"conn_type": "generic", "host": self.site_url}),
            "AIRFLOW_CONN_GESTIONALE_WEBAPI": json.dumps({
                "conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": self.gestionale_port,
                "login": self.gestionale["user"], "password": self.gestionale["password"],
                "extra": {"dominio": self.gestionale["dominio"], "azienda": self.gestionale["azienda"]},
            }),
            "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps({
                "conn_type": "smtp", "host": "127.0.0.1", "port": self.mail.port,
                "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "amazon-import@localhost",
                          "retry_limit": 0, "timeout": 10},
            }),
        })
        if self.accounts_file:
            env["AMAZON_ACCOUNTS_FILE"] = str(self.accounts_file)
        if self.sqs:
            from sandbox.sqs import CONNECTION_ID

            env.update(self.sqs.connection_env(CONNECTION_ID))
        from amazon_passweb.config import load_accounts

        accounts = load_accounts(self.accounts_file)
        for account in accounts.accounts:
            env[f"AIRFLOW_CONN_{account.sp_api_conn_id.upper()}"] = json.dumps({
                "conn_type": "http", "login": self.amazon["client_id"], "password": self.amazon["client_secret"],
                "extra": {"refresh_token": self.amazon["refresh_token"], "selling_partner_id": f"SP_{account.id}",
                          "endpoint": f"http://127.0.0.1:{self.amazon_port}",
                          "lwa_endpoint": f"http://127.0.0.1:{self.amazon_port}/auth/o2/token",
                          "time_scale": self.amazon_time_scale},
            })
        return env

    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "airflow"), *args], env=self.airflow_env(),
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def upgrade_site(self) -> None:
        """The site database's schema, as a deployment makes it: ``python -m amazon_passweb.site upgrade``
        (the import tasks never migrate it)."""
        result = subprocess.run([sys.executable, "-m", "amazon_passweb.site", "upgrade", "--url", self.site_url],
                                env=self._python_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
        if result.returncode:
            raise RuntimeError(f"site upgrade failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")

    def migrate_airflow(self) -> None:
        result = self.airflow("db", "migrate")
        if result.returncode:
            raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")

    def dags_test(self, dag_id: str, conf: dict | None = None, logical_date: str | None = None,
                  timeout: float = 900) -> subprocess.CompletedProcess:
        args = ["dags", "test", dag_id]
        if logical_date:
            args.append(logical_date)
        if conf:
            args += ["--conf", json.dumps(conf)]
        result = self.airflow(*args, timeout=timeout)
        (self.workdir / f"dags-test-{dag_id}-{int(time.time())}.log").write_text(result.stdout + result.stderr)
        return result
