"""Benchmark of the till's catalogue paths with 100,000 SKUs (not a test).

    .venv/bin/python bench/catalog_lookup.py [--skus 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m_bench .venv/bin/python bench/catalog_lookup.py

Creates a throwaway database (its own MENDIAN_DATA_DIR temp dir; on PostgreSQL a test_… database
next to the one in DATABASE_URL), fills it with products of 4 SKUs each, one EAN-13 per SKU and a
store override on every tenth SKU, then prints p50/p99 of barcode look-up and pinyin search (in
process and over the test client) and the time of a till's first full download of the catalogue
through GET /api/v1/catalog/changes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DATA_DIR = tempfile.mkdtemp(prefix="mendian-bench-catalog-")
os.environ["MENDIAN_DATA_DIR"] = DATA_DIR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mendian.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

BRANDS = "康师傅 统一 农夫山泉 可口可乐 百事 伊利 蒙牛 海天 金龙鱼 旺旺 乐事 德芙 清风 蓝月亮 舒肤佳 高露洁 白象 今麦郎 王老吉 元气森林 三只松鼠 良品铺子 卫龙 雀巢 好丽友 达利园 娃哈哈 光明 李锦记 太太乐".split()
NOUNS = "可乐 雪碧 绿茶 红茶 矿泉水 纯净水 牛奶 酸奶 方便面 挂面 饼干 薯片 巧克力 糖果 坚果 面包 蛋糕 火腿肠 酱油 食用油 大米 鸡精 抽纸 洗衣液 香皂 牙膏 洗发水 沐浴露 咖啡 果汁 凉茶 苏打水 啤酒 辣条 瓜子 海苔 果冻 月饼 粽子 汤圆".split()
SPECS = "330ml 500ml 550ml 1L 1.8L 250g 500g 1kg 5kg 小包 大包 家庭装 礼盒装 经典款 无糖 低脂 原味 香辣味 番茄味 柠檬味".split()
VARIANTS = ["单件", "4件装", "6件装", "整箱"]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def timed(function: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each call. The CPU time of this process (which, on SQLite,
    includes the database engine) shows the cost of the code when the machine is shared and busy."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def build(sku_count: int) -> tuple[list[str], list[str], int, str]:
    """Fill the catalogue in bulk with the same helpers the services use; returns barcodes, queries,
    the store id and a bearer token of a cashier signed in at that store's till."""
    from mendian.catalog.barcodes import gs1_check_digit
    from mendian.catalog.models import SKU, Barcode, Product, SearchKey, StorePrice
    from mendian.catalog.pinyin_keys import name_pinyin, search_keys_for
    from mendian.catalog.services import skus_touch
    from mendian.stores import services as store_services
    from mendian.stores.roles import roles_sync

    rng = random.Random(42)
    roles_sync()
    store = store_services.store_create(code="B01", name="基准店")
    register, _device = store_services.register_create(store=store, code="T1", name="1号收银台")
    cashier = store_services.staff_create(
        username="bench",
        password="bench-password-1",
        employee_no="9001",
        display_name="基准",
        roles=["cashier"],
        stores=[store],
        pin="1234",
    )
    _token, raw_token = store_services.api_token_issue(user=cashier.user, register=register)

    product_count = sku_count // len(VARIANTS)
    names = []
    for index in range(product_count):
        names.append(f"{rng.choice(BRANDS)}{rng.choice(NOUNS)} {rng.choice(SPECS)} {index % 97}")
    start = time.perf_counter()
    with transaction.atomic():
        products = []
        for index, name in enumerate(names):
            full, initials = name_pinyin(name)
            products.append(
                Product(code=f"P{index:06d}", name=name, name_pinyin=full[:400], name_initials=initials[:100])
            )
        products = Product.objects.bulk_create(products, batch_size=2000)
        skus = SKU.objects.bulk_create(
            (
                SKU(
                    product=product,
                    code=f"{product.code}-{number:02d}",
                    attributes={"规格": variant},
                    variant_name=variant,
                    retail_price_fen=rng.randint(100, 20000),
                )
                for product in products
                for number, variant in enumerate(VARIANTS, start=1)
            ),
            batch_size=5000,
        )
        # The keys the catalog services write: name, pinyin, initials, the product's and SKUs' codes.
        SearchKey.objects.bulk_create(
            (
                SearchKey(product=product, key=key)
                for product in products
                for key in search_keys_for(
                    product.name,
                    [product.code, *(f"{product.code}-{n:02d}" for n in range(1, len(VARIANTS) + 1))],
                )
            ),
            batch_size=5000,
        )
        barcodes = []
        for sku in skus:
            body = f"69{sku.pk:010d}"
            barcodes.append(Barcode(sku=sku, code=body + gs1_check_digit(body), is_primary=True))
        Barcode.objects.bulk_create(barcodes, batch_size=5000)
        StorePrice.objects.bulk_create(
            (
                StorePrice(store=store, sku=sku, retail_price_fen=sku.retail_price_fen + 10)
                for sku in skus[::10]
            ),
            batch_size=5000,
        )
        skus_touch(product_ids=[product.pk for product in products])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # a live database has planner statistics; a bulk-loaded one not yet
    print(
        f"built {len(products):,} products, {len(skus):,} SKUs, "
        f"{SearchKey.objects.count():,} search keys in {time.perf_counter() - start:.1f} s"
    )
    codes = [barcode.code for barcode in rng.sample(barcodes, min(2000, len(barcodes)))]
    queries = []
    for product in rng.sample(products, min(1000, len(products))):
        full, initials = name_pinyin(product.name)
        kind = rng.randrange(3)
        if kind == 0:
            start_at = rng.randrange(max(1, len(initials) - 3))
            queries.append(initials[start_at : start_at + rng.choice((2, 3, 4))])
        elif kind == 1:
            queries.append(full[: rng.choice((4, 6, 8))])
        else:
            queries.append(rng.choice(NOUNS))
    return codes, queries, store.pk, raw_token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=100_000)
    arguments = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(arguments.skus)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(DATA_DIR, ignore_errors=True)


def run(sku_count: int) -> None:
    from mendian.catalog.selectors import till_lookup, till_search

    print(f"database: {connection.vendor}, data dir {DATA_DIR}")
    codes, queries, store_id, token = build(sku_count)
    headers = {"Authorization": f"Bearer {token}"}
    client = Client()
    code_cycle = itertools.cycle(codes)
    query_cycle = itertools.cycle(queries)

    def lookup() -> None:
        assert till_lookup(code=next(code_cycle), store_id=store_id) is not None

    def search() -> None:
        till_search(q=next(query_cycle), store_id=store_id, limit=20)

    def lookup_http() -> None:
        response = client.get("/api/v1/catalog/lookup", {"code": next(code_cycle)}, headers=headers)
        assert response.status_code == 200

    def search_http() -> None:
        response = client.get(
            "/api/v1/catalog/search", {"q": next(query_cycle), "limit": 20}, headers=headers
        )
        assert response.status_code == 200

    for label, function, repeat in [
        ("barcode look-up (selector)", lookup, 2000),
        ("pinyin search (selector)", search, 1000),
        ("barcode look-up (HTTP, test client)", lookup_http, 1000),
        ("pinyin search (HTTP, test client)", search_http, 1000),
    ]:
        timed(function, 50)  # warm up
        wall, cpu = timed(function, repeat)
        print(
            f"{label:<38} wall p50 {statistics.median(wall):6.2f} ms  p99 {percentile(wall, 0.99):6.2f} ms"
            f"   cpu p50 {statistics.median(cpu):6.2f} ms  p99 {percentile(cpu, 0.99):6.2f} ms   (n={repeat})"
        )

    for limit in (5000, 1000):
        start, start_cpu = time.perf_counter(), time.process_time()
        cursor, items, pages, parse_s = 0, 0, 0, 0.0
        while True:
            response = client.get(
                "/api/v1/catalog/changes", {"since": cursor, "limit": limit}, headers=headers
            )
            parse_start = time.perf_counter()
            body = json.loads(response.content)  # what the till does with the page
            parse_s += time.perf_counter() - parse_start
            items += len(body["items"])
            pages += 1
            cursor = body["next_cursor"]
            if not body["has_more"]:
                break
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        print(
            f"full change-feed download, pages of {limit}: {items:,} SKUs in {pages} requests, "
            f"wall {elapsed:.2f} s (of which the till parsing JSON {parse_s:.2f} s), cpu {elapsed_cpu:.2f} s"
        )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
