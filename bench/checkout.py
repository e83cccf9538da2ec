"""Checkout benchmark over the HTTP API: N concurrent tills post 5-line cash orders for a fixed time.

Not a test. It builds a throwaway database (SQLite in a temp data dir; PostgreSQL when DATABASE_URL
points at a server: a fresh database is created there and dropped afterwards), seeds stores,
registers, staff, SKUs and stock, opens a shift on every register, starts gunicorn on 127.0.0.1 and
drives it with one keep-alive connection per till. Then, on the same database, it measures a
reference: a plain SQL transaction loop with about the write count of one checkout, run by the same
number of threads. The ratio orders/s ÷ reference tx/s survives a noisy or slower machine.

    .venv/bin/python bench/checkout.py --tills 16 --seconds 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/checkout.py --tills 16

Last line: orders_per_s=… p50_ms=… p99_ms=… reference_tps=… ratio=…
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tills", type=int, default=16, help="concurrent tills (one register + shift each)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured duration")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured warm-up")
    parser.add_argument("--lines", type=int, default=5, help="lines per order")
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per process")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir / database")
    return parser.parse_args()


# -- throwaway database ---------------------------------------------------------------------------


def prepare_database(data_dir: Path) -> tuple[str, str | None]:
    """Returns (kind, admin URL to drop the bench database afterwards)."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    if not raw or raw.startswith("sqlite"):
        os.environ.pop("DATABASE_URL", None)
        return "sqlite", None
    import psycopg

    parsed = urlparse(raw)
    name = f"mendian_bench_{os.getpid()}"
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    return "postgresql", admin_url


def drop_database(admin_url: str | None) -> None:
    if admin_url is None:
        return
    import psycopg

    name = urlparse(os.environ["DATABASE_URL"]).path.strip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- seed -------------------------------------------------------------------------------------------


def seed(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Stores, one register + cashier token + open shift per till, SKUs with plenty of stock."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mendian.config.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from mendian.catalog.models import SKU, Product
    from mendian.inventory.services import StockChange, stock_apply
    from mendian.sales import services as sales_services
    from mendian.stores import services as store_services
    from mendian.stores.roles import roles_sync

    roles_sync()
    products = Product.objects.bulk_create(
        [Product(code=f"BP{i:05d}", name=f"基准商品{i}") for i in range(args.skus)]
    )
    skus = SKU.objects.bulk_create(
        [
            SKU(product=product, code=f"BS{i:05d}", retail_price_fen=random.randint(100, 20000))
            for i, product in enumerate(products)
        ]
    )
    stores = [store_services.store_create(code=f"BENCH{i}", name=f"基准店{i}") for i in range(args.stores)]
    for store in stores:
        stock_apply(
            store=store, changes=[StockChange(sku_id=sku.pk, qty=10**9) for sku in skus], reason="opening"
        )
    cashiers = [
        store_services.staff_create(
            username=f"bench{i}",
            password=None,
            employee_no=f"B{i:04d}",
            display_name=f"收银{i}",
            roles=["cashier"],
            stores=[store],
            pin="1234",
        )
        for i, store in enumerate(stores)
    ]
    tills = []
    for index in range(args.tills):
        store_index = index % len(stores)
        register, _device = store_services.register_create(
            store=stores[store_index], code=f"T{index:02d}", name=f"{index}号台"
        )
        user = cashiers[store_index].user
        sales_services.shift_open(user=user, register=register, float_fen=100_000)
        _token, raw = store_services.api_token_issue(user=user, register=register)
        tills.append({"register_id": register.pk, "token": raw})
    sku_ids = [sku.pk for sku in skus]
    for till in tills:
        till["sku_ids"] = sku_ids
    from django.db import connections

    connections.close_all()
    return tills


# -- server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "mendian.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--keep-alive",
        "60",
        "--backlog",
        "512",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=os.environ.copy(), cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


# -- load -------------------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the web server (gunicorn and its workers), of the database's backends
    serving the bench database (PostgreSQL; SQLite runs inside the server) and of this process."""
    server = [server_pid]
    try:
        server += [
            int(pid) for pid in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
        ]
    except OSError:
        pass
    database = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
    backends = []
    if database and Path("/proc").is_dir():
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
                except OSError:
                    continue
                if command.startswith("postgres: ") and f" {database} " in command:
                    backends.append(int(entry.name))
    return {
        "server": sum(_cpu_seconds(pid) for pid in server),
        "database": sum(_cpu_seconds(pid) for pid in backends),
        "load": sum(os.times()[:2]),
    }


def run_tills(
    args: argparse.Namespace, port: int, tills: list[dict[str, Any]], server_pid: int
) -> dict[str, Any]:
    start_at = time.monotonic() + 0.5
    measure_from = start_at + args.warmup
    stop_at = measure_from + args.seconds
    cpu: dict[str, dict[str, float]] = {}

    def cpu_watch() -> None:
        time.sleep(max(0.0, measure_from - time.monotonic()))
        cpu["from"] = cpu_split(server_pid)
        time.sleep(max(0.0, stop_at - time.monotonic()))
        cpu["to"] = cpu_split(server_pid)

    watcher = threading.Thread(target=cpu_watch)
    watcher.start()
    latencies: list[list[float]] = [[] for _ in tills]
    errors: list[list[str]] = [[] for _ in tills]
    posted = [0] * len(tills)

    def till_loop(index: int) -> None:
        till = tills[index]
        rng = random.Random(index)
        headers = {"Authorization": f"Bearer {till['token']}", "Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            body = json.dumps(
                {
                    "client_order_id": str(uuid.uuid4()),
                    "register_id": till["register_id"],
                    "lines": [
                        {"sku_id": sku_id, "qty": rng.randint(1, 3)}
                        for sku_id in rng.sample(till["sku_ids"], args.lines)
                    ],
                    "tenders": [{"kind": "cash", "amount_fen": 10**7}],
                }
            )
            began = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/sales/orders", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors[index].append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = time.perf_counter() - began
            if response.status != 201:
                errors[index].append(f"{response.status} {payload[:200]!r}")
                continue
            if now >= measure_from:
                latencies[index].append(elapsed)
                posted[index] += 1
        conn.close()

    threads = [threading.Thread(target=till_loop, args=(index,)) for index in range(len(tills))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    watcher.join()
    all_latencies = sorted(latency for per_till in latencies for latency in per_till)
    all_errors = [error for per_till in errors for error in per_till]
    used = {part: cpu["to"][part] - cpu["from"][part] for part in cpu["to"]}
    return {"count": sum(posted), "latencies": all_latencies, "errors": all_errors, "cpu": used}


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


# -- reference: plain SQL transactions with a checkout's write count ----------------------------------

REFERENCE_DDL = [
    "CREATE TABLE bench_ref_order (id {pk}, register_id bigint, total_fen bigint, created_at varchar(40))",
    "CREATE TABLE bench_ref_line (id {pk}, order_id bigint, sku_id bigint, qty int, total_fen bigint)",
    "CREATE TABLE bench_ref_tender (id {pk}, order_id bigint, amount_fen bigint)",
    "CREATE TABLE bench_ref_stock (id {pk}, register_id bigint, sku_id bigint, on_hand bigint)",
    "CREATE TABLE bench_ref_move (id {pk}, sku_id bigint, qty bigint, balance_after bigint)",
    "CREATE TABLE bench_ref_cash (id {pk}, register_id bigint, amount_fen bigint, balance_after bigint)",
    "CREATE TABLE bench_ref_shift (id {pk}, register_id bigint, balance bigint, order_count bigint)",
]


def reference_tps(kind: str, threads: int, seconds: float, lines: int) -> float:
    """Transactions per second of: lock shift row, insert order, 5 lines (one statement), tender,
    lock + update 5 stock rows, insert 5 moves (one statement), 2 cash entries, update shift."""
    if kind == "postgresql":
        import psycopg

        url = os.environ["DATABASE_URL"]

        def connect() -> Any:
            return psycopg.connect(url, autocommit=True)

        pk = "bigserial primary key"
        placeholder = "%s"
    else:
        import sqlite3

        from django.conf import settings

        path = settings.DATABASES["default"]["NAME"]

        def connect() -> Any:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        pk = "integer primary key autoincrement"
        placeholder = "?"
    setup = connect()
    for ddl in REFERENCE_DDL:
        setup.execute(ddl.format(pk=pk))
    sku_count = 500
    for register in range(threads):
        setup.execute(
            f"INSERT INTO bench_ref_shift (register_id, balance, order_count) VALUES ({register}, 0, 0)"
        )
    rows = ", ".join(f"(0, {sku}, 1000000000)" for sku in range(sku_count))
    setup.execute(f"INSERT INTO bench_ref_stock (register_id, sku_id, on_hand) VALUES {rows}")
    setup.close()
    p = placeholder
    begin = "BEGIN" if kind == "postgresql" else "BEGIN IMMEDIATE"
    lock = " FOR UPDATE" if kind == "postgresql" else ""
    counts = [0] * threads
    start_at = time.monotonic() + 0.3
    stop_at = start_at + seconds

    def loop(index: int) -> None:
        conn = connect()
        rng = random.Random(index)
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while time.monotonic() < stop_at:
            skus = sorted(rng.sample(range(1, sku_count + 1), lines))
            conn.execute(begin)
            conn.execute(
                f"SELECT balance FROM bench_ref_shift WHERE register_id = {p}{lock}", (index,)
            ).fetchone()
            order_id = conn.execute(
                f"INSERT INTO bench_ref_order (register_id, total_fen, created_at) VALUES ({p}, {p}, {p}) RETURNING id",
                (index, 5000, "now"),
            ).fetchone()[0]
            values = ", ".join([f"({p}, {p}, {p}, {p})"] * lines)
            params: list[Any] = []
            for sku in skus:
                params += [order_id, sku, 1, 1000]
            conn.execute(
                f"INSERT INTO bench_ref_line (order_id, sku_id, qty, total_fen) VALUES {values}", params
            )
            conn.execute(
                f"INSERT INTO bench_ref_tender (order_id, amount_fen) VALUES ({p}, {p})", (order_id, 5000)
            )
            marks = ", ".join([p] * lines)
            conn.execute(
                f"SELECT id, on_hand FROM bench_ref_stock WHERE id IN ({marks}) ORDER BY id{lock}", skus
            ).fetchall()
            conn.execute(f"UPDATE bench_ref_stock SET on_hand = on_hand - 1 WHERE id IN ({marks})", skus)
            values = ", ".join([f"({p}, {p}, {p})"] * lines)
            params = []
            for sku in skus:
                params += [sku, -1, 0]
            conn.execute(f"INSERT INTO bench_ref_move (sku_id, qty, balance_after) VALUES {values}", params)
            conn.execute(
                f"INSERT INTO bench_ref_cash (register_id, amount_fen, balance_after) VALUES ({p}, {p}, {p}), ({p}, {p}, {p})",
                (index, 10000, 10000, index, -5000, 5000),
            )
            conn.execute(
                f"UPDATE bench_ref_shift SET balance = balance + 5000, order_count = order_count + 1 WHERE register_id = {p}",
                (index,),
            )
            conn.execute("COMMIT")
            if time.monotonic() < stop_at:
                counts[index] += 1
        conn.close()

    workers = [threading.Thread(target=loop, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / seconds


# -- main -------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    temp = Path(tempfile.mkdtemp(prefix="mendian-bench-"))
    os.environ["MENDIAN_DATA_DIR"] = str(temp)
    os.environ["MENDIAN_DEBUG"] = "0"
    os.environ.setdefault("MENDIAN_SECRET_KEY", "bench-" + "x" * 40)
    sys.path.insert(0, str(REPO / "src"))
    kind, admin_url = prepare_database(temp)
    server = None
    try:
        print(
            f"database: {kind}; seeding {args.tills} tills, {args.stores} stores, {args.skus} SKUs …",
            flush=True,
        )
        tills = seed(args)
        port = free_port()
        server = start_server(args, port)
        print(
            f"gunicorn {args.worker_class} {args.workers}×{args.threads} on 127.0.0.1:{port}; "
            f"{args.tills} tills × {args.seconds:.0f} s (+{args.warmup:.0f} s warm-up), {args.lines}-line orders",
            flush=True,
        )
        result = run_tills(args, port, tills, server.pid)
        server.terminate()
        server.wait(timeout=30)
        server = None
        latencies = result["latencies"]
        orders_per_s = result["count"] / args.seconds
        p50 = percentile(latencies, 0.50) * 1000
        p99 = percentile(latencies, 0.99) * 1000
        if result["errors"]:
            print(f"errors: {len(result['errors'])}, first: {result['errors'][:3]}", flush=True)
        print(
            f"orders: {result['count']} in {args.seconds:.0f} s; mean {statistics.fmean(latencies) * 1000:.1f} ms"
            if latencies
            else "no orders",
            flush=True,
        )
        if result["count"]:
            per_order = {part: seconds * 1000 / result["count"] for part, seconds in result["cpu"].items()}
            print(
                "CPU ms per order while measuring: "
                f"web server {per_order['server']:.1f}, database backends {per_order['database']:.1f}, "
                f"load generator {per_order['load']:.1f} ({os.cpu_count()} cores give {(os.cpu_count() or 1) * 1000 / sum(per_order.values()):.0f} orders/s "
                "at that cost)",
                flush=True,
            )
        print(f"reference: plain SQL checkout-shaped transactions, {args.tills} threads …", flush=True)
        reference = reference_tps(kind, args.tills, min(args.seconds, 10.0), args.lines)
        ratio = orders_per_s / reference if reference else float("nan")
        print(
            f"orders_per_s={orders_per_s:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
            f"reference_tps={reference:.1f} ratio={ratio:.3f}",
            flush=True,
        )
    finally:
        if server is not None:
            server.kill()
        if not args.keep:
            try:
                from django.db import connections

                connections.close_all()
            except ImportError:
                pass
            drop_database(admin_url)
            import shutil

            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
