"""Read settings from the environment; a bad value stops start-up with one line naming the variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse


class EnvError(Exception):
    """A configuration variable has a value we cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(name, f"expected one of 1/0, true/false, yes/no, on/off, got {raw!r}")


def env_int(name: str, *, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(name, f"expected an integer, got {raw!r}") from None
    if value < minimum:
        raise EnvError(name, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise EnvError(name, f"must be at most {maximum}, got {value}")
    return value


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise EnvError(name, "must list at least one value, separated by commas")
    return items


def data_dir() -> Path:
    path = Path(os.environ.get("MENDIAN_DATA_DIR") or "./var").expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvError("MENDIAN_DATA_DIR", f"cannot create {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise EnvError("MENDIAN_DATA_DIR", f"{path} is not writable")
    return path


def secret_key(directory: Path) -> str:
    """MENDIAN_SECRET_KEY, else a key generated once into the data dir with mode 0600."""
    raw = os.environ.get("MENDIAN_SECRET_KEY")
    if raw is not None:
        if len(raw) < 32:
            raise EnvError("MENDIAN_SECRET_KEY", "must be at least 32 characters long")
        return raw
    key_file = directory / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def database(directory: Path) -> dict[str, object]:
    """DATABASE_URL (sqlite:///path or postgres://…), default a SQLite file in the data dir."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw:
        return sqlite_database(directory / "mendian.sqlite3")
    parsed = urlparse(raw)
    if parsed.scheme == "sqlite":
        path = parsed.path
        if not path or path == "/":
            raise EnvError(
                "DATABASE_URL", "sqlite URL needs a file path, e.g. sqlite:////srv/mendian/db.sqlite3"
            )
        return sqlite_database(Path(path))
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parsed.path.strip("/"):
            raise EnvError(
                "DATABASE_URL", "postgres URL needs a database name, e.g. postgres://user@host/mendian"
            )
        import dj_database_url

        config: dict[str, object] = dict(dj_database_url.parse(raw))
        config["ENGINE"] = "django.db.backends.postgresql"
        config["CONN_MAX_AGE"] = env_int("MENDIAN_DB_CONN_MAX_AGE", default=300)
        config["CONN_HEALTH_CHECKS"] = True
        # Parameters travel apart from the statement, so psycopg binds them in C and PostgreSQL
        # prepares a statement seen five times on the connection, so it is planned once (Django leaves
        # prepared statements off by default; docs/adr/0004-hot-path-sql.md).
        # Off for a transaction-mode pooler without prepared-statement support (pgbouncer < 1.21).
        if env_bool("MENDIAN_DB_SERVER_BINDING", default=True):
            config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
        return config
    raise EnvError("DATABASE_URL", f"unsupported scheme {parsed.scheme!r}; use sqlite:/// or postgres://")


def sqlite_database(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on busy_timeout instead of failing with "database is locked" on upgrade.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
        # Keep the connection between requests: opening the file and running the PRAGMAs again cost
        # about a tenth of a checkout request. Health checks drop a broken one before it is reused.
        "CONN_MAX_AGE": env_int("MENDIAN_DB_CONN_MAX_AGE", default=300),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": str(path.with_name("test_" + path.name))},
    }


def idempotency_lease_seconds() -> int:
    """How long a request's claim on its Idempotency-Key holds (core.middleware): longer than any
    request, so only the claim of a worker that died runs out; lower only for tests."""
    return env_int("MENDIAN_IDEMPOTENCY_LEASE_SECONDS", default=30, minimum=1, maximum=3600)


def redis_url() -> str | None:
    raw = os.environ.get("REDIS_URL", "").strip()
    if not raw:
        return None
    if urlparse(raw).scheme not in {"redis", "rediss", "unix"}:
        raise EnvError("REDIS_URL", f"expected redis://host:port/db, got {raw!r}")
    return raw
