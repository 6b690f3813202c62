"""A local SQS: moto's server as its own process, one queue per account, and the Airflow connection to it.

Amazon publishes an account's ORDER_CHANGE notifications to that account's queue; the product's
watcher reads it through an Airflow ``aws`` connection. Here the queue lives in moto's server
(``python -m moto.server``), reached by boto3 and aiobotocore at ``endpoint_url`` with dummy keys:

    with LocalSqs(workdir) as sqs:
        queue = sqs.create_queue("amazon-orders-it_main")
        env.update(sqs.connection_env("aws_sqs_local"))
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox.stack import ROOT, free_port, wait_for_port

REGION = "eu-west-1"
# moto accepts any key; these are not credentials of anything
ACCESS_KEY, SECRET_KEY = "local-sqs-access-key", "local-sqs-secret-key"
CONNECTION_ID = "aws_sqs_local"


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str


def queue_name(account_id: str) -> str:
    """SQS names allow letters, digits, ``-`` and ``_``: account ids already are such."""
    return f"amazon-order-change-{account_id}"


class LocalSqs:
    """moto's server on a free port of 127.0.0.1, for the lifetime of the ``with`` block."""

    def __init__(self, workdir: str | Path, *, region: str = REGION):
        self.workdir = Path(workdir).resolve()
        self.region = region
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.queues: dict[str, Queue] = {}

    def __enter__(self) -> LocalSqs:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "sqs.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_for_port(self.port, self.process, log)
            self._wait_answering()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _wait_answering(self, timeout: float = 30.0) -> None:
        """The port opens before the WSGI app answers: one real SQS call decides."""
        from botocore.exceptions import BotoCoreError, ClientError

        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().list_queues()
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def client(self):
        import boto3

        return boto3.client("sqs", endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def create_queue(self, name: str) -> Queue:
        """Create (or find, it is idempotent) the queue; its URL and the ARN Amazon's destination names."""
        client = self.client()
        url = client.create_queue(QueueName=name)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.queues[name] = Queue(name, url, arn)
        return self.queues[name]

    def depth(self, queue: Queue) -> int:
        """Messages waiting or in flight in the queue (SQS's approximate counts)."""
        attributes = self.client().get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return sum(int(value) for value in attributes.values())

    def connection(self) -> dict:
        """The Airflow ``aws`` connection an account's ``notifications.aws_conn_id`` names."""
        return {"conn_type": "aws", "login": ACCESS_KEY, "password": SECRET_KEY,
                "extra": {"endpoint_url": self.endpoint_url, "region_name": self.region}}

    def connection_env(self, conn_id: str = CONNECTION_ID) -> dict[str, str]:
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(self.connection())}

    def client_env(self) -> dict[str, str]:
        """For a process that resolves and sends with boto3's default credential chain (the Amazon stand-in)."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": self.region}
