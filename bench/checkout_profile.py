"""In-process cost of one checkout request: CPU ms and queries per `POST /api/v1/sales/orders`.

Not a test. A throwaway SQLite database in a temp data dir (PostgreSQL when DATABASE_URL points at
a server: a fresh database is created there and dropped afterwards), the checkout bench's seed,
then single-threaded through Django's test client with a register-bound bearer token: warm-up
orders, then N measured 5-line cash orders. `--profile` prints the top of a cProfile.

    .venv/bin/python bench/checkout_profile.py --orders 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/checkout_profile.py

Last line: cpu_ms_per_request=… wall_ms_per_request=… queries_per_request=… [db_backend_cpu_ms_per_request=… on PostgreSQL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(prefix="mendian-prof-"))
    os.environ["MENDIAN_DATA_DIR"] = str(temp)
    os.environ["MENDIAN_DEBUG"] = "0"
    os.environ.setdefault("MENDIAN_SECRET_KEY", "bench-" + "x" * 40)
    import checkout as bench  # the HTTP bench: same database setup and seed

    _kind, admin_url = bench.prepare_database(temp)
    seed_args = argparse.Namespace(skus=500, stores=4, tills=1, lines=args.lines)
    try:
        till = bench.seed(seed_args)[0]
        from django.db import connection, reset_queries
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {till['token']}")
        rng = random.Random(1)

        def post() -> None:
            body = {
                "client_order_id": str(uuid.uuid4()),
                "register_id": till["register_id"],
                "lines": [
                    {"sku_id": s, "qty": rng.randint(1, 3)} for s in rng.sample(till["sku_ids"], args.lines)
                ],
                "tenders": [{"kind": "cash", "amount_fen": 10**7}],
            }
            response = client.post("/api/v1/sales/orders", json.dumps(body), content_type="application/json")
            assert response.status_code == 201, response.content

        for _ in range(args.warmup):
            post()
        with CaptureQueriesContext(connection) as captured:
            post()
        captured_sql = [q["sql"] for q in captured.captured_queries]
        queries = len(captured_sql)
        reset_queries()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the database
            profiler.enable()
        backend_pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend_pid = cursor.fetchone()[0]
        backend_began = bench._cpu_seconds(backend_pid) if backend_pid else 0.0
        began = time.process_time()
        wall = time.perf_counter()
        for _ in range(args.orders):
            post()
        cpu = (time.process_time() - began) / args.orders * 1000
        wall_ms = (time.perf_counter() - wall) / args.orders * 1000
        db_cpu = (
            (bench._cpu_seconds(backend_pid) - backend_began) / args.orders * 1000 if backend_pid else 0.0
        )
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
            if os.environ.get("PROFILE_OUT"):
                profiler.dump_stats(os.environ["PROFILE_OUT"])
        if os.environ.get("SHOW_QUERIES"):
            for sql in captured_sql:
                print(sql[:200])
        print(
            f"cpu_ms_per_request={cpu:.2f} wall_ms_per_request={wall_ms:.2f} queries_per_request={queries}"
            + (f" db_backend_cpu_ms_per_request={db_cpu:.2f}" if backend_pid else "")
        )
    finally:
        from django.db import connections

        connections.close_all()
        bench.drop_database(admin_url)
        import shutil

        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
