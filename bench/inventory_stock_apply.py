"""stock_apply latency in process: a 1-line and a 20-line sale (plain, batch-tracked FEFO, serialized).

Not a test. Builds a throwaway SQLite database in a temp data dir (or uses DATABASE_URL as given,
which must then be an empty database you can throw away), seeds one store and SKUs, then times
stock_apply. Prints p50/p99 ms per case.

    .venv/bin/python bench/inventory_stock_apply.py --rounds 300
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("MENDIAN_DATA_DIR", tempfile.mkdtemp(prefix="mendian-bench-inv-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mendian.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    from mendian.catalog.models import SKU, Product
    from mendian.inventory.services import StockChange, batch_create, stock_apply
    from mendian.stores.models import Store

    store = Store.objects.create(code="BENCH", name="bench")
    cases: dict[str, list[int]] = {}
    for kind in ("plain", "batch", "serial"):
        skus = []
        for index in range(20):
            product = Product.objects.create(
                code=f"{kind}-{index}",
                name=f"{kind} {index}",
                tracks_batches=kind == "batch",
                tracks_serials=kind == "serial",
            )
            skus.append(SKU.objects.create(product=product, code=f"{kind}-{index}", retail_price_fen=100))
        cases[kind] = [sku.pk for sku in skus]
        for sku in skus:
            if kind == "batch":
                for days in (10, 20, 30):
                    batch = batch_create(
                        sku=sku, batch_no=f"B{days}", expiry_date=date.today() + timedelta(days=days)
                    )
                    stock_apply(
                        store=store,
                        changes=[StockChange(sku.pk, 10_000, batch_id=batch.pk)],
                        reason="receipt",
                    )
            elif kind == "serial":
                serials = tuple(f"{sku.pk}-{n}" for n in range(2 * args.rounds + 10))
                stock_apply(
                    store=store, changes=[StockChange(sku.pk, len(serials), serials)], reason="receipt"
                )
            else:
                stock_apply(store=store, changes=[StockChange(sku.pk, 1_000_000)], reason="receipt")
    sold: dict[int, int] = {}

    def changes(kind: str, lines: int) -> list[StockChange]:
        result = []
        for sku_id in cases[kind][:lines]:
            if kind == "serial":
                sold[sku_id] = sold.get(sku_id, 0) + 1
                result.append(StockChange(sku_id, -1, (f"{sku_id}-{sold[sku_id]}",)))
            else:
                result.append(StockChange(sku_id, -1))
        return result

    print(f"database={django.db.connection.vendor} rounds={args.rounds}")
    for kind in ("plain", "batch", "serial"):
        for lines in (1, 20):
            timings = []
            for _round in range(args.rounds):
                batch_of_changes = changes(kind, lines)
                start = time.perf_counter()
                stock_apply(store=store, changes=batch_of_changes, reason="sale")
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            p99 = timings[int(len(timings) * 0.99) - 1]
            print(f"{kind:<6} lines={lines:<2} p50_ms={statistics.median(timings):.2f} p99_ms={p99:.2f}")


if __name__ == "__main__":
    main()
