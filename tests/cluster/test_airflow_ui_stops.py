"""``make airflow-ui`` stopped with Ctrl-C: every process it started is gone, Airflow's included.

Ctrl-C in a terminal is SIGINT to the foreground process group; the test sends just that: once,
twice (pressed again while stopping), and to a process started with SIGINT ignored, as a
non-interactive shell starts a background command (``make airflow-ui &`` in a script).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from sandbox.stack import ROOT, free_port

pytestmark = pytest.mark.slow
STOP_WITHIN = 30  # seconds


def _serving(port: int) -> bool:
    with contextlib.suppress(requests.RequestException, ValueError):
        health = requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5).json()
        return health.get("triggerer", {}).get("status") == "healthy"
    return False


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("presses", "started_ignoring"),
    [(1, False), (2, False), (1, True)],
    ids=["ctrl-c", "ctrl-c twice", "started in the background by a script"],
)
def test_ctrl_c_stops_every_process(tmp_path, presses, started_ignoring):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)])}
    log = (tmp_path / "airflow-ui.log").open("wb")
    ui = subprocess.Popen(
        [sys.executable, "-m", "sandbox.airflow_ui", "--orders", "20", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 300
        while not _serving(port):
            assert ui.poll() is None, (tmp_path / "airflow-ui.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the UI did not come up"
            time.sleep(2)
        started = [p for p in psutil.Process(ui.pid).children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert all(part in names for part in ("api_server", "scheduler", "dag-processor", "triggerer")), names

        began = time.monotonic()
        for _ in range(presses):  # an impatient operator presses again while it is stopping
            os.killpg(ui.pid, signal.SIGINT)
            time.sleep(1)
        ui.wait(timeout=STOP_WITHIN)
        _, alive = psutil.wait_procs(started, timeout=max(0.1, STOP_WITHIN - (time.monotonic() - began)))
        assert not alive, [p.name() for p in alive]
        assert not _serving(port)
    finally:
        for process in [*started, psutil.Process(ui.pid) if ui.poll() is None else None]:
            with contextlib.suppress(psutil.Error, AttributeError):
                process.kill()
