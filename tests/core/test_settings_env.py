"""Settings come from the environment; a bad value stops start-up with one line naming the variable."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mendian.config import env


def run_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("MENDIAN_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update({"MENDIAN_DATA_DIR": str(tmp_path / "data"), **extra})
    return subprocess.run(
        [sys.executable, "-m", "mendian.cli", "manage", "check"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_defaults_use_sqlite_in_the_data_dir_with_wal_and_immediate(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.database(tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "mendian.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgres_url_is_parsed_with_persistent_connections(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://shop:pw@db.internal:5433/mendian")
    config = env.database(tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        5433,
        "mendian",
        "shop",
    )
    assert config["CONN_MAX_AGE"] == 300
    assert config["CONN_HEALTH_CHECKS"] is True


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("MENDIAN_SECRET_KEY", raising=False)
    first = env.secret_key(tmp_path)
    second = env.secret_key(tmp_path)
    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MENDIAN_DEBUG", "maybe", "MENDIAN_DEBUG: expected one of"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: unsupported scheme 'mysql'"),
        ("REDIS_URL", "http://localhost", "REDIS_URL: expected redis://"),
        ("MENDIAN_SECRET_KEY", "short", "MENDIAN_SECRET_KEY: must be at least 32 characters"),
        ("MENDIAN_LOGIN_FAILURE_LIMIT", "zero", "MENDIAN_LOGIN_FAILURE_LIMIT: expected an integer"),
        (
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS",
            "2.5",
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS: expected an integer, got '2.5'",
        ),
        (
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS",
            "0",
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS: must be at least 1, got 0",
        ),
        (
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS",
            "3601",
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS: must be at most 3600, got 3601",
        ),
    ],
)
def test_invalid_env_stops_start_up_with_one_line(tmp_path, variable, value, expected):
    result = run_check(tmp_path, **{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mendian: configuration error: ")
    assert expected in lines[0]


def test_valid_env_passes_the_system_check(tmp_path):
    result = run_check(tmp_path, MENDIAN_DEBUG="yes", MENDIAN_ALLOWED_HOSTS="shop.example.cn")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_idempotency_lease_defaults_to_30_seconds(monkeypatch):
    monkeypatch.delenv("MENDIAN_IDEMPOTENCY_LEASE_SECONDS", raising=False)
    assert env.idempotency_lease_seconds() == 30


@pytest.mark.parametrize(("value", "expected"), [("", 30), ("1", 1), (" 45 ", 45), ("3600", 3600)])
def test_idempotency_lease_takes_whole_seconds_from_1_to_3600(monkeypatch, value, expected):
    monkeypatch.setenv("MENDIAN_IDEMPOTENCY_LEASE_SECONDS", value)
    assert env.idempotency_lease_seconds() == expected


def test_idempotency_lease_reaches_the_settings(tmp_path):
    # given the variable set for a process that loads the settings
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("MENDIAN_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update({"MENDIAN_DATA_DIR": str(tmp_path / "data"), "MENDIAN_IDEMPOTENCY_LEASE_SECONDS": "7"})
    # when the process prints the setting the middleware reads, then it is the variable's value
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "mendian.cli",
            "manage",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.IDEMPOTENCY_LEASE_SECONDS)",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "7"
