"""`mendian worker` prints each log line once (our console handler only, not huey's as well)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def worker_environment(data_dir: Path) -> dict[str, str]:
    # SQLite and the SQLite huey queue in a fresh data dir, whatever the test run itself uses
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("MENDIAN_", "DATABASE_URL", "REDIS_URL"))
    }
    environment["MENDIAN_DATA_DIR"] = str(data_dir)
    return environment


def wait_for(path: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear in the worker output:\n{path.read_text(errors='replace')}")


@pytest.mark.slow
def test_worker_prints_each_log_line_once(tmp_path):
    environment = worker_environment(tmp_path / "data")
    subprocess.run(
        [sys.executable, "-m", "mendian.cli", "manage", "migrate", "--verbosity", "0"],
        env=environment,
        check=True,
        timeout=180,
    )
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mendian.cli", "worker"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(log_path, "The following commands are available")
            # the scheduler enqueues the every-minute jobs on its first tick and the workers run them
            wait_for(log_path, "heartbeat_task")
            wait_for(log_path, "executed in")
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    output = log_path.read_text(errors="replace")

    assert output.count("Huey consumer started with") == 1, output
    assert output.count("Periodic tasks are enabled.") == 1, output
    assert output.count("Consumer exiting.") == 1, output
    # huey's own format ("[time] INFO:huey.consumer:MainThread:…") is gone; ours is "time INFO huey.consumer …"
    assert "INFO:huey" not in output, output
    assert re.search(r"^\S+ \S+ INFO huey\.consumer Huey consumer started with", output, re.MULTILINE), output
    # every task run is reported once
    executing = re.findall(r"Executing (\S+): ([0-9a-f-]{36})", output)
    assert executing, output
    assert len(executing) == len(set(executing)), output
    assert "mendian.core.tasks.heartbeat_task" in {name for name, _ in executing}, output
