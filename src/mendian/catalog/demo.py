"""Demo catalogue of a chain: groceries with EAN-13 barcodes, weighed fresh food with scale PLUs,
clothing in sizes × colours, service items, and opening stock in both demo stores.

Everything goes through the real services. Running it twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mendian.catalog import services
from mendian.catalog.barcodes import gs1_check_digit
from mendian.catalog.models import SKU, Brand, Category, Product, Unit
from mendian.stores.models import Store

CATEGORIES = [
    # code, name, parent code, VAT basis points
    ("FOOD", "食品饮料", None, 1300),
    ("DRINK", "饮料", "FOOD", 1300),
    ("INSTANT", "方便食品", "FOOD", 1300),
    ("SNACK", "休闲零食", "FOOD", 1300),
    ("GROCERY", "粮油调味", "FOOD", 900),
    ("FRESH", "生鲜", "FOOD", 900),
    ("DAILY", "日用百货", None, 1300),
    ("HOUSEHOLD", "个护清洁", "DAILY", 1300),
    ("APPAREL", "服装", None, 1300),
    ("SERVICE", "服务项目", None, 600),
]

# code, name, brand, category, unit, retail fen, member fen or None, cost fen, barcode body (12 digits)
GROCERIES = [
    ("G0001", "可口可乐 330ml 罐装", "可口可乐", "DRINK", "罐", 350, 320, 180, "690100000101"),
    ("G0002", "雪碧 330ml 罐装", "可口可乐", "DRINK", "罐", 350, 320, 180, "690100000102"),
    ("G0003", "百事可乐 600ml", "百事", "DRINK", "瓶", 400, None, 210, "690200000201"),
    ("G0004", "农夫山泉 饮用天然水 550ml", "农夫山泉", "DRINK", "瓶", 200, 180, 90, "692120000301"),
    ("G0005", "怡宝 纯净水 555ml", "怡宝", "DRINK", "瓶", 200, None, 95, "690450000401"),
    ("G0006", "康师傅 冰红茶 500ml", "康师傅", "DRINK", "瓶", 350, 300, 170, "690320000501"),
    ("G0007", "统一 绿茶 500ml", "统一", "DRINK", "瓶", 350, None, 170, "690110000601"),
    ("G0008", "王老吉 凉茶 310ml", "王老吉", "DRINK", "罐", 450, 400, 240, "690270000701"),
    ("G0009", "红牛 维生素功能饮料 250ml", "红牛", "DRINK", "罐", 650, 600, 380, "693160000801"),
    ("G0010", "蒙牛 纯牛奶 250ml", "蒙牛", "DRINK", "盒", 350, 320, 200, "692300000901"),
    ("G0011", "伊利 安慕希 希腊风味酸奶 205g", "伊利", "DRINK", "盒", 600, 550, 360, "690700001001"),
    ("G0012", "元气森林 苏打气泡水 480ml", "元气森林", "DRINK", "瓶", 550, 500, 300, "694570001101"),
    ("G0013", "康师傅 红烧牛肉面", "康师傅", "INSTANT", "袋", 450, 400, 240, "690320001201"),
    ("G0014", "统一 老坛酸菜牛肉面", "统一", "INSTANT", "袋", 450, None, 240, "690110001301"),
    ("G0015", "今麦郎 一桶半 红烧牛肉面", "今麦郎", "INSTANT", "桶", 550, None, 300, "690580001401"),
    ("G0016", "白象 汤好喝 老母鸡汤面", "白象", "INSTANT", "桶", 500, 450, 270, "690210001501"),
    ("G0017", "乐事 薯片 美国经典原味 75g", "乐事", "SNACK", "袋", 800, 720, 450, "690690001601"),
    ("G0018", "奥利奥 夹心饼干 原味 97g", "奥利奥", "SNACK", "盒", 950, None, 560, "690210001701"),
    ("G0019", "旺旺 雪饼 84g", "旺旺", "SNACK", "袋", 650, None, 360, "690270001801"),
    ("G0020", "德芙 丝滑牛奶巧克力 43g", "德芙", "SNACK", "块", 1100, 990, 650, "690230001901"),
    ("G0021", "卫龙 大面筋 102g", "卫龙", "SNACK", "袋", 500, None, 270, "693450002001"),
    ("G0022", "三只松鼠 每日坚果 25g", "三只松鼠", "SNACK", "袋", 450, 400, 250, "694420002101"),
    ("G0023", "金龙鱼 黄金比例食用调和油 1.8L", "金龙鱼", "GROCERY", "桶", 3290, 2990, 2300, "694830002201"),
    ("G0024", "海天 金标生抽 500ml", "海天", "GROCERY", "瓶", 1050, 950, 650, "690346002301"),
    ("G0025", "老干妈 风味豆豉油制辣椒 280g", "老干妈", "GROCERY", "瓶", 1150, None, 780, "691097002401"),
    ("G0026", "福临门 东北大米 5kg", "福临门", "GROCERY", "袋", 3990, 3690, 2900, "694830002501"),
    ("G0027", "太太乐 三鲜鸡精 200g", "太太乐", "GROCERY", "袋", 1200, None, 800, "690220002601"),
    ("G0028", "清风 原木纯品抽纸 3包", "清风", "HOUSEHOLD", "提", 1590, 1390, 1000, "692287002701"),
    ("G0029", "蓝月亮 深层洁净洗衣液 1kg", "蓝月亮", "HOUSEHOLD", "瓶", 2990, 2690, 1800, "690530002801"),
    ("G0030", "舒肤佳 纯白清香型香皂 115g", "舒肤佳", "HOUSEHOLD", "块", 650, None, 400, "690300002901"),
    ("G0031", "高露洁 全面防蛀牙膏 120g", "高露洁", "HOUSEHOLD", "支", 1290, 1190, 800, "690151003001"),
]

# code, name, category, retail fen per kg, cost fen per kg, scale PLU
WEIGHED = [
    ("F0001", "精品五花肉", "FRESH", 3580, 2600, "00001"),
    ("F0002", "红富士苹果", "FRESH", 1280, 800, "00002"),
    ("F0003", "本地小白菜", "FRESH", 480, 250, "00003"),
]

# code, name, attributes, retail fen, member fen, cost fen
CLOTHING = [
    (
        "C1001",
        "纯棉圆领T恤",
        {"颜色": ["白", "黑", "灰", "藏青"], "尺码": ["S", "M", "L", "XL", "XXL"]},
        5900,
        4900,
        2200,
    ),
    (
        "C1002",
        "修身牛仔裤",
        {"颜色": ["浅蓝", "深蓝"], "尺码": ["28", "29", "30", "31", "32", "33"]},
        15900,
        13900,
        6500,
    ),
    ("C1003", "连帽卫衣", {"颜色": ["灰", "黑", "酒红"], "尺码": ["M", "L", "XL"]}, 19900, 17900, 8000),
]

# code, name, retail fen, member fen, minutes, staff needed
SERVICES = [
    ("S0001", "洗剪吹", 4800, 3800, 45, 1),
    ("S0002", "精剪造型", 8800, 7800, 60, 1),
    ("S0003", "全身按摩 60分钟", 16800, 14800, 60, 1),
    ("S0004", "足疗 90分钟", 19800, 17800, 90, 1),
    ("S0005", "肩颈推拿 30分钟", 8800, 7800, 30, 1),
]


def _categories() -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for order, (code, name, parent, vat_rate_bp) in enumerate(CATEGORIES):
        categories[code], _created = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": categories.get(parent or ""),
                "sort_order": order,
                "vat_rate_bp": vat_rate_bp,
            },
        )
    return categories


def _unit(name: str, *, weighed: bool = False) -> Unit:
    return Unit.objects.get_or_create(name=name, defaults={"is_weighed": weighed})[0]


def _brand(name: str) -> Brand:
    return Brand.objects.get_or_create(name=name)[0]


def _opening_qty(sku: SKU, store_index: int) -> int:
    """A deterministic, plausible opening quantity (weighed items in grams)."""
    seed = (sku.pk * 7919 + store_index * 104729) % 97
    if sku.product.unit is not None and sku.product.unit.is_weighed:
        return 20000 + seed * 100
    if sku.product.category is not None and sku.product.category.code == "APPAREL":
        return 2 + seed % 9
    return 24 + seed % 97


def _opening_stock(stores: list[Store]) -> int:
    from mendian.inventory.models import StockMove
    from mendian.inventory.services import StockChange, stock_apply

    skus = list(
        SKU.objects.filter(product__code__in=_goods_codes(), is_active=True)
        .select_related("product__unit", "product__category")
        .order_by("pk")
    )
    applied = 0
    for index, store in enumerate(stores):
        if StockMove.objects.filter(store=store, reason="opening", source_type="demo").exists():
            continue
        stock_apply(
            store=store,
            changes=[StockChange(sku_id=sku.pk, qty=_opening_qty(sku, index)) for sku in skus],
            reason="opening",
            source_type="demo",
            source_id="demo-opening",
            note="开业期初库存",
        )
        applied += 1
    return applied


def _goods_codes() -> list[str]:
    return [row[0] for row in GROCERIES] + [row[0] for row in WEIGHED] + [row[0] for row in CLOTHING]


@transaction.atomic
def demo_catalog() -> dict[str, int]:
    """Create the demo catalogue and opening stock in the demo stores; returns what was created."""
    existing = set(Product.objects.values_list("code", flat=True))
    categories = _categories()
    created = 0
    for code, name, brand, category, unit, retail, member, cost, body in GROCERIES:
        if code in existing:
            continue
        services.product_create_with_variants(
            code=code,
            name=name,
            brand=_brand(brand),
            category=categories[category],
            unit=_unit(unit),
            retail_price_fen=retail,
            member_price_fen=member,
            cost_price_fen=cost,
            barcodes=[body + gs1_check_digit(body)],
        )
        created += 1
    kilogram = _unit("千克", weighed=True)
    for code, name, category, retail, cost, plu in WEIGHED:
        if code in existing:
            continue
        product = services.product_create_with_variants(
            code=code,
            name=name,
            category=categories[category],
            unit=kilogram,
            retail_price_fen=retail,
            cost_price_fen=cost,
        )
        services.sku_update(sku=product.skus.get(), scale_plu=plu)
        created += 1
    for code, name, attributes, retail, member, cost in CLOTHING:
        if code in existing:
            continue
        services.product_create_with_variants(
            code=code,
            name=name,
            brand=_brand("门店自有品牌"),
            category=categories["APPAREL"],
            unit=_unit("件"),
            attributes=attributes,
            retail_price_fen=retail,
            member_price_fen=member,
            cost_price_fen=cost,
            generate_barcodes=True,
        )
        created += 1
    for code, name, retail, member, minutes, staff in SERVICES:
        if code in existing:
            continue
        services.product_create_with_variants(
            code=code,
            name=name,
            kind=Product.Kind.SERVICE,
            category=categories["SERVICE"],
            unit=_unit("次"),
            retail_price_fen=retail,
            member_price_fen=member,
            service_minutes=minutes,
            service_staff_needed=staff,
            generate_barcodes=True,
        )
        created += 1
    stores = list(Store.objects.filter(code__in=["SH01", "SH02"]).order_by("code"))
    if created and len(stores) == 2:
        # 徐家汇店 sells cola a little dearer; water gets cheaper tomorrow at 08:00 in every store.
        cola = SKU.objects.get(code="G0001")
        services.store_price_set(store=stores[1], sku=cola, retail_price_fen=380, reason="demo")
        tomorrow = timezone.localtime() + timedelta(days=1)
        services.price_change_schedule(
            sku=SKU.objects.get(code="G0004"),
            effective_at=tomorrow.replace(hour=8, minute=0, second=0, microsecond=0),
            retail_price_fen=180,
        )
    stocked = _opening_stock(stores)
    return {"products_created": created, "stores_stocked": stocked}
