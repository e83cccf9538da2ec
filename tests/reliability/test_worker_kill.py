"""A worker killed mid-request never leaves its Idempotency-Key stuck (docs/adr/0005).

The real server (gunicorn as `mendian serve` runs it, with one sync worker) serves the test database
with a 2-second claim lease. The test holds the open shift's row lock, so a checkout or a return sent
with an Idempotency-Key blocks inside its transaction after claiming the key; the test SIGKILLs the
worker there, lets the lock go, and retries the same request with the same key until it answers 2xx.
Ten rounds, checkouts and returns in turn: each key makes exactly one document, and stock and the cash
drawer move exactly once per document.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from mendian.catalog.services import product_create_with_variants
from mendian.cli import _gunicorn_command
from mendian.core.models import IdempotencyRecord
from mendian.inventory.models import StockLevel, StockMove
from mendian.inventory.services import StockChange, stock_apply
from mendian.sales import services as sales_services
from mendian.sales.models import CashDrawerEntry, Order, Return, Shift
from mendian.sales.selectors import LineInput

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 2
ROUNDS = 10
PRICE_FEN = 1250
OPENING_QTY = 100
FLOAT_FEN = 20_000
SOLD_QTY = 2  # units sold by each checkout round, paid with 30.00 cash for 25.00
TENDERED_FEN = 3_000
RETURNABLE_QTY = 5  # units of the earlier cash sale; each return round brings one back
SERVER_START_SECONDS = 60
BLOCKED_WITHIN_SECONDS = 20  # the first round after a kill waits for gunicorn to start a new worker
RETRY_BUDGET_SECONDS = 30


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any


@dataclass
class Server:
    """A gunicorn master on 127.0.0.1:port, and every status its API answered."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    api_statuses: list[int] = field(default_factory=list)

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPConnection:
        """Send a request without reading the answer (the caller reads it, or the worker dies first)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        return conn

    def call(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        conn = self.send(method, path, body, headers or {})
        try:
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        is_json = answer_headers.get("content-type", "").startswith("application/json")
        answer = Answer(response.status, answer_headers, json.loads(raw) if is_json and raw else raw)
        if path.startswith("/api/"):
            self.api_statuses.append(answer.status)
        return answer

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.call("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(
                    f"gunicorn did not answer /healthz within {SERVER_START_SECONDS} s:\n{self.log()}"
                )
            time.sleep(0.1)

    def worker_pid(self) -> int:
        """The master's one live child: the worker serving requests now."""
        live = [pid for pid in _children(self.process.pid) if _is_alive(pid)]
        assert len(live) == 1, (live, self.log())
        return live[0]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def _children(pid: int) -> list[int]:
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    if children_file.exists():
        return [int(child) for child in children_file.read_text().split()]
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(child) for child in found.stdout.split()]


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, only not reaped yet


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url(database: dict[str, Any]) -> str:
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(database['NAME'], safe='')}"


def _connect(database: dict[str, Any], *, autocommit: bool) -> psycopg.Connection[Any]:
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        autocommit=autocommit,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the master and its workers (their own process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[Server]:
    """`mendian serve`'s gunicorn with one sync worker on a free port, on the test database."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MENDIAN_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(
        {
            "DATABASE_URL": _database_url(connection.settings_dict),
            "MENDIAN_DATA_DIR": str(tmp_path / "server"),
            "MENDIAN_SECRET_KEY": settings.SECRET_KEY,  # whatever the server signs agrees with the test
            "MENDIAN_IDEMPOTENCY_LEASE_SECONDS": str(LEASE_SECONDS),
        }
    )
    port = _free_port()
    command = _gunicorn_command("127.0.0.1", port, workers=1)
    command[command.index("--threads") + 1] = "1"
    command += ["--worker-class", "sync"]
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # our own fixed command
            command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    running = Server(process, port, log_path)
    try:
        running.wait_until_healthy()
        yield running
    finally:
        _stop(process)


@dataclass
class Round:
    path: str
    body: dict[str, Any]
    key: str
    answers: list[Answer] = field(default_factory=list)


class ShiftLock:
    """Holds the open shift's row lock from a connection of its own, as a long transaction would."""

    def __init__(self, database: dict[str, Any], shift_id: int) -> None:
        self.shift_id = shift_id
        self.holder = _connect(database, autocommit=False)
        # pg_stat_activity is read once per transaction: watch from an autocommit connection.
        self.watcher = _connect(database, autocommit=True)

    def take(self) -> None:
        self.holder.execute(
            f"SELECT id FROM {Shift._meta.db_table} WHERE id = %s FOR UPDATE", [self.shift_id]
        )

    def release(self) -> None:
        self.holder.rollback()

    def wait_for_a_blocked_backend(self) -> int:
        """The pid of the backend waiting for our lock, once there is one."""
        deadline = time.monotonic() + BLOCKED_WITHIN_SECONDS
        while True:
            row = self.watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND %s = ANY(pg_blocking_pids(pid))",
                [self.holder.info.backend_pid],
            ).fetchone()
            if row is not None:
                return int(row[0])
            assert time.monotonic() < deadline, "no request blocked on the shift lock"
            time.sleep(0.02)

    def close(self) -> None:
        self.holder.close()
        self.watcher.close()


def _kill_mid_request(server: Server, lock: ShiftLock, rnd: Round, headers: dict[str, str]) -> None:
    """Send the round's request, SIGKILL the worker while it waits for the shift lock, let the lock go."""
    lock.take()
    try:
        request = server.send("POST", rnd.path, json.dumps(rnd.body).encode(), headers)
        lock.wait_for_a_blocked_backend()
        os.kill(server.worker_pid(), signal.SIGKILL)
        with pytest.raises(ConnectionError):
            request.getresponse()  # the worker died without answering
        request.close()
        # the key was claimed and is left in progress, as the dead worker left it
        claim = IdempotencyRecord.objects.get(key=rnd.key)
        assert claim.state == IdempotencyRecord.State.IN_PROGRESS
    finally:
        lock.release()


def _retry_until_done(server: Server, rnd: Round, headers: dict[str, str]) -> Answer:
    """Retry with the same key and body until a 2xx, waiting Retry-After on 409 idempotency_in_progress."""
    deadline = time.monotonic() + RETRY_BUDGET_SECONDS
    while True:
        answer = server.call("POST", rnd.path, json.dumps(rnd.body).encode(), headers)
        rnd.answers.append(answer)
        if 200 <= answer.status < 300:
            return answer
        assert answer.status == 409, answer
        assert answer.body["error"]["code"] == "idempotency_in_progress", answer
        assert "retry-after" in answer.headers, answer
        wait = int(answer.headers["retry-after"])
        assert time.monotonic() + wait < deadline, (
            f"key {rnd.key} still in progress after {RETRY_BUDGET_SECONDS} s"
        )
        time.sleep(wait)


def test_a_worker_killed_mid_request_leaves_no_key_stuck_and_each_retry_runs_once(
    server: Server, chain: Any, cashier_a: Any, token_for: Any
) -> None:
    # given a till of store A with an open shift (float 200.00), a SKU at 12.50 with 100 in stock, an
    # earlier cash sale of 5 of it to bring back unit by unit, and a cashier's token at that till
    register = chain.register_a
    shift = sales_services.shift_open(user=cashier_a.user, register=register, float_fen=FLOAT_FEN)
    sku = product_create_with_variants(code="K1", name="测试商品", retail_price_fen=PRICE_FEN).skus.get()
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, OPENING_QTY)], reason="receipt")
    earlier = sales_services.order_checkout(
        user=cashier_a.user,
        register=register,
        client_order_id=str(uuid.uuid4()),
        lines=[LineInput(sku_id=sku.pk, qty=RETURNABLE_QTY)],
        tenders=[sales_services.TenderInput(kind="cash", amount_fen=RETURNABLE_QTY * PRICE_FEN)],
    ).order
    earlier_line = earlier.lines.get()
    token = token_for(cashier_a, register)
    rounds = []
    for number in range(ROUNDS):
        if number % 2 == 0:
            rounds.append(
                Round(
                    "/api/v1/sales/orders",
                    {
                        "client_order_id": str(uuid.uuid4()),
                        "register_id": register.pk,
                        "lines": [{"sku_id": sku.pk, "qty": SOLD_QTY}],
                        "tenders": [
                            {"kind": "cash", "amount_fen": SOLD_QTY * PRICE_FEN, "tendered_fen": TENDERED_FEN}
                        ],
                    },
                    key=f"checkout-{number}",
                )
            )
        else:
            rounds.append(
                Round(
                    f"/api/v1/sales/orders/{earlier.pk}/returns",
                    {
                        "client_return_id": str(uuid.uuid4()),
                        "register_id": register.pk,
                        "lines": [{"order_line_id": earlier_line.pk, "qty": 1}],
                    },
                    key=f"return-{number}",
                )
            )
    lock = ShiftLock(connection.settings_dict, shift.pk)
    try:
        for rnd in rounds:
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": rnd.key,
            }
            # when the worker is killed while the request waits inside its transaction
            _kill_mid_request(server, lock, rnd, headers)
            # then a retry with the same key runs it, and a further repeat replays that answer
            done = _retry_until_done(server, rnd, headers)
            assert done.status == 201, done
            replay = server.call("POST", rnd.path, json.dumps(rnd.body).encode(), headers)
            rnd.answers.append(replay)
            assert (replay.status, replay.headers.get("idempotent-replayed")) == (201, "true")
            assert replay.body == done.body
    finally:
        lock.close()

    # then no answer was ever a 5xx
    assert server.api_statuses and all(status < 500 for status in server.api_statuses), server.api_statuses
    checkouts = [rnd for rnd in rounds if "client_order_id" in rnd.body]
    returns = [rnd for rnd in rounds if "client_return_id" in rnd.body]
    # and every checkout key made exactly one order, the one each of its answers names
    for rnd in checkouts:
        orders = list(Order.objects.filter(client_order_id=rnd.body["client_order_id"]))
        assert len(orders) == 1
        assert {answer.body["id"] for answer in rnd.answers if answer.status < 300} == {orders[0].pk}
        assert list(
            StockMove.objects.filter(source_type="sales.order", source_id=str(orders[0].pk)).values_list(
                "sku_id", "qty"
            )
        ) == [(sku.pk, -SOLD_QTY)]
        assert sorted(
            CashDrawerEntry.objects.filter(source_type="order", source_id=str(orders[0].pk)).values_list(
                "kind", "amount_fen"
            )
        ) == [("change_out", SOLD_QTY * PRICE_FEN - TENDERED_FEN), ("sale_cash_in", TENDERED_FEN)]
    # and every return key made exactly one return, the one each of its answers names
    for rnd in returns:
        rets = list(Return.objects.filter(client_return_id=rnd.body["client_return_id"]))
        assert len(rets) == 1
        assert {answer.body["id"] for answer in rnd.answers if answer.status < 300} == {rets[0].pk}
        assert rets[0].refund_fen == PRICE_FEN
        assert list(
            StockMove.objects.filter(source_type="sales.return", source_id=str(rets[0].pk)).values_list(
                "sku_id", "qty"
            )
        ) == [(sku.pk, 1)]
        assert list(
            CashDrawerEntry.objects.filter(source_type="return", source_id=str(rets[0].pk)).values_list(
                "kind", "amount_fen"
            )
        ) == [("refund_out", -PRICE_FEN)]
    # and nothing else was written: the earlier sale plus one order per checkout key, one return per return key
    assert Order.objects.count() == 1 + len(checkouts)
    assert Return.objects.count() == len(returns)
    # and stock and the drawer moved once per document
    expected_qty = OPENING_QTY - RETURNABLE_QTY - SOLD_QTY * len(checkouts) + len(returns)
    assert StockLevel.objects.get(store=chain.store_a, sku=sku).on_hand_qty == expected_qty
    shift.refresh_from_db()
    expected_cash_fen = (
        FLOAT_FEN
        + RETURNABLE_QTY * PRICE_FEN
        + SOLD_QTY * PRICE_FEN * len(checkouts)
        - PRICE_FEN * len(returns)
    )
    assert shift.cash_balance_fen == expected_cash_fen
    assert sum(shift.cash_entries.values_list("amount_fen", flat=True)) == expected_cash_fen
    assert (shift.order_count, shift.return_count) == (1 + len(checkouts), len(returns))
    earlier.refresh_from_db()
    assert (earlier.status, earlier.refunded_fen) == (Order.Status.REFUNDED, RETURNABLE_QTY * PRICE_FEN)
    # and no key is left in progress
    assert list(IdempotencyRecord.objects.values_list("state", flat=True).distinct()) == ["done"]
