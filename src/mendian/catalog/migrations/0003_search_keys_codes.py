"""Products saved before codes were search keys get their product and SKU codes as keys."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

_SPACE = re.compile(r"\s+")
KEY_MAX_LENGTH = 64


def _key(code: str) -> str:
    # As catalog.pinyin_keys.search_term_normalize (copied: a migration must not change with the app).
    return _SPACE.sub("", code or "").lower()[:KEY_MAX_LENGTH]


def code_keys_add(apps: Any, schema_editor: Any) -> None:
    product_model = apps.get_model("catalog", "Product")
    sku_model = apps.get_model("catalog", "SKU")
    key_model = apps.get_model("catalog", "SearchKey")
    codes: dict[int, set[str]] = {}
    for product_id, code in product_model.objects.values_list("pk", "code").iterator():
        codes.setdefault(product_id, set()).add(_key(code))
    for product_id, code in sku_model.objects.values_list("product_id", "code").iterator():
        codes.setdefault(product_id, set()).add(_key(code))
    product_ids = sorted(codes)
    for start in range(0, len(product_ids), 1000):
        batch = product_ids[start : start + 1000]
        wanted = {key for product_id in batch for key in codes[product_id] if key}
        existing = set(
            key_model.objects.filter(product_id__in=batch, key__in=wanted).values_list("product_id", "key")
        )
        key_model.objects.bulk_create(
            [
                key_model(product_id=product_id, key=key)
                for product_id in batch
                for key in sorted(codes[product_id])
                if key and (product_id, key) not in existing
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_till_feed_search_price_changes")]

    operations = [migrations.RunPython(code_keys_add, migrations.RunPython.noop)]
