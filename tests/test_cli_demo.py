"""`mendian demo` really starts: it migrates, loads the demo once, serves, and /healthz answers."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo(data_dir: Path, port: int) -> subprocess.Popen[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("MENDIAN_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mendian.cli", "demo", "--port", str(port), "--data-dir", str(data_dir)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_health(port: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                body = json.loads(response.read())
                if body.get("worker_heartbeat_age_s") is not None:
                    return body
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("demo did not become healthy")


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


@pytest.mark.slow
def test_demo_serves_and_a_second_run_reuses_the_data(tmp_path):
    data_dir = tmp_path / "var"
    port = free_port()
    process = start_demo(data_dir, port)
    try:
        health = wait_for_health(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as response:
            login_page = response.read().decode()
    finally:
        first_output = stop(process)
    assert health["status"] == "ok"
    assert health["database"] == "ok"
    assert health["migrations"] == "ok"
    assert "登录" in login_page or "登入" in login_page
    assert "admin" in first_output and "cashier1" in first_output and "manager1" in first_output
    assert "mendian-demo" in first_output
    assert (data_dir / "mendian.sqlite3").exists()

    # a second run reuses the data dir, adds no duplicates and prints the same register tokens
    process = start_demo(data_dir, port)
    try:
        wait_for_health(port)
    finally:
        second_output = stop(process)
    import sqlite3

    with sqlite3.connect(data_dir / "mendian.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM stores_store").fetchone()[0] == 2
        assert db.execute("SELECT COUNT(*) FROM stores_staffprofile").fetchone()[0] == 4
    token_lines = [line for line in first_output.splitlines() if line.strip().startswith("SH0")]
    assert token_lines
    assert all(line in second_output for line in token_lines)
