"""The preflight for an account listening to Amazon's notifications: its queue and its subscription,
checked against a real local SQS and the Amazon stand-in's Notifications API."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from sandbox.stack import ROOT, LocalStack

pytestmark = pytest.mark.slow


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "amazon_passweb", "doctor", "--account", "it_main"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def notification_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if "notifications it_main:" in line]


def test_the_queue_and_the_subscription_are_checked(tmp_path):
    with LocalStack(tmp_path, amazon_args=["--generate", "5", "--seed", "7"], notifications=["it_main"]) as stack:
        env = stack.airflow_env()
        arn = stack.queues["it_main"].arn

        before = doctor(env)
        assert before.returncode == 1, before.stdout + before.stderr
        assert notification_lines(before) == [
            f"ok      notifications it_main: the queue {arn} can be read with the connection 'aws_sqs_local'",
            "PROBLEM notifications it_main: the seller has no ORDER_CHANGE subscription: run "
            f"`python -m amazon_passweb notifications setup it_main --queue-arn {arn}`",
        ], before.stdout

        stack.setup_notifications("it_main")
        after = doctor(env)
        assert notification_lines(after)[-1] == (
            "ok      notifications it_main: Amazon sends the seller's ORDER_CHANGE notifications to this queue")
        assert not [line for line in after.stdout.splitlines() if line.startswith("PROBLEM")], after.stdout
        assert after.returncode == 0

        # The accounts file names a queue that does not exist (a typo in its URL).
        raw = yaml.safe_load(stack.accounts_file.read_text())
        listening = next(account for account in raw["accounts"] if account["id"] == "it_main")
        listening["notifications"]["queue_url"] += "-typo"
        wrong = tmp_path / "accounts-typo.yaml"
        wrong.write_text(yaml.safe_dump(raw, sort_keys=False))
        typo = doctor({**env, "AMAZON_ACCOUNTS_FILE": str(wrong)})
        assert typo.returncode == 1
        [line] = notification_lines(typo)
        assert line.startswith(f"PROBLEM notifications it_main: the queue {listening['notifications']['queue_url']} "
                               "cannot be read with the connection 'aws_sqs_local'"), typo.stdout
