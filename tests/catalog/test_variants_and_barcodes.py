"""Variant matrix, barcode validation, in-store codes and scale labels."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import translation

from mendian.catalog import selectors, services
from mendian.catalog.barcodes import (
    barcode_kind,
    barcode_validate,
    gs1_check_digit,
    scale_barcode_build,
    scale_barcode_parse,
)
from mendian.catalog.errors import BarcodeInvalid, BarcodeTaken, ProductCodeTaken, VariantAttributesInvalid
from mendian.catalog.models import SKU, Barcode, Product
from mendian.catalog.scale_format import ScaleBarcodeFormat
from mendian.core.models import AuditEntry

from .conftest import ean13

SIZES = ["S", "M", "L", "XL", "XXL"]
COLOURS = ["白", "黑", "红", "蓝"]


def test_variant_matrix_creates_every_size_colour_sku_in_one_step(
    make_product: Callable[..., Product],
) -> None:
    # given a T-shirt with 5 sizes × 4 colours
    product = make_product(
        "纯棉圆领T恤",
        code="TS100",
        retail_price_fen=9900,
        member_price_fen=8900,
        cost_price_fen=3000,
        attributes={"颜色": COLOURS, "尺码": SIZES},
    )
    # then 20 SKUs exist, coded from the product code, in matrix order, with the prices given
    skus = list(SKU.objects.filter(product=product).order_by("code"))
    assert len(skus) == 20
    assert [sku.code for sku in skus[:3]] == ["TS100-01", "TS100-02", "TS100-03"]
    assert skus[0].attributes == {"颜色": "白", "尺码": "S"}
    assert skus[0].variant_name == "白 / S"
    assert skus[19].attributes == {"颜色": "蓝", "尺码": "XXL"}
    assert {(sku.retail_price_fen, sku.member_price_fen, sku.cost_price_fen) for sku in skus} == {
        (9900, 8900, 3000)
    }
    # and each has its own distinct change cursor, one audit row records the creation
    assert len({sku.change_seq for sku in skus}) == 20 and min(sku.change_seq for sku in skus) > 0
    entry = AuditEntry.objects.get(action="product.create")
    assert entry.after["sku_count"] == 20
    assert product.name_initials == "cmyltx" and product.name_pinyin == "chunmianyuanlingtxu"


def test_product_without_attributes_has_one_sku_with_the_product_code(
    make_product: Callable[..., Product],
) -> None:
    product = make_product("农夫山泉 550ml", code="NFSQ550", barcodes=[ean13("690123456789")])
    sku = SKU.objects.get(product=product)
    assert sku.code == "NFSQ550" and sku.attributes == {} and sku.variant_name == ""
    assert list(sku.barcodes.values_list("code", "is_primary")) == [(ean13("690123456789"), True)]


def test_bad_attribute_matrix_and_duplicate_code_write_nothing(make_product: Callable[..., Product]) -> None:
    with pytest.raises(VariantAttributesInvalid):
        make_product("袜子", code="SOCK", attributes={"颜色": ["黑", "黑"]})
    make_product("袜子", code="SOCK", attributes={"颜色": ["黑"]})
    with pytest.raises(ProductCodeTaken):
        make_product("袜子二", code="SOCK")
    assert Product.objects.count() == 1 and SKU.objects.count() == 1


@pytest.mark.parametrize(
    ("code", "kind"),
    [("4006381333931", "EAN13"), ("96385074", "EAN8"), ("036000291452", "UPCA"), ("6901939621271", "EAN13")],
)
def test_valid_barcodes_are_recognised(code: str, kind: str) -> None:
    assert barcode_kind(code) == kind
    assert barcode_validate(code) == kind


@pytest.mark.parametrize("code", ["4006381333932", "96385075", "036000291453", "12345", "69019396212a1", ""])
def test_bad_check_digit_or_length_is_rejected_with_a_translated_message(code: str) -> None:
    with translation.override("zh-hans"), pytest.raises(BarcodeInvalid) as caught:
        barcode_validate(code)
    assert caught.value.code == "barcode_invalid"
    assert "条码" in str(caught.value.message)


def test_sku_has_several_barcodes_and_a_bad_or_taken_one_is_refused(
    make_product: Callable[..., Product],
) -> None:
    sku = SKU.objects.get(product=make_product(code="COLA"))
    before = sku.change_seq
    services.barcode_add(sku=sku, code="6901939621271")
    services.barcode_add(sku=sku, code="036000291452")
    with pytest.raises(BarcodeInvalid):
        services.barcode_add(sku=sku, code="6901939621272")
    other = SKU.objects.get(product=make_product("雪碧", code="SPRITE"))
    with pytest.raises(BarcodeTaken):
        services.barcode_add(sku=other, code="6901939621271")
    assert list(Barcode.objects.filter(sku=sku).order_by("id").values_list("code", "is_primary")) == [
        ("6901939621271", True),
        ("036000291452", False),
    ]
    assert not Barcode.objects.filter(sku=other).exists()
    sku.refresh_from_db()
    assert sku.change_seq > before


def test_instore_codes_are_unique_valid_ean13_with_prefix_20(make_product: Callable[..., Product]) -> None:
    product = make_product("散装饼干", code="BISCUIT", attributes={"口味": ["原味", "奶油", "巧克力"]})
    skus = list(product.skus.order_by("pk"))
    # a hand-typed in-store code that the counter would hand out next is skipped, not duplicated
    services.barcode_add(sku=skus[0], code=ean13("200000000001"))
    created = services.barcodes_generate_missing(sku_ids=[sku.pk for sku in skus])
    codes = [barcode.code for barcode in created]
    assert len(codes) == 2 and len(set(codes)) == 2
    for code in codes:
        assert len(code) == 13 and code.startswith("20") and barcode_kind(code) == "EAN13"
    assert ean13("200000000001") not in codes
    # every SKU now has exactly one barcode; a second run adds none
    assert services.barcodes_generate_missing(sku_ids=[sku.pk for sku in skus]) == []
    assert Barcode.objects.filter(sku__product=product).count() == 3


def test_scale_barcodes_13_and_18_digits_parse_into_plu_weight_and_price() -> None:
    weight_code = "2" + "7" + "01234" + "01250"
    weight_code += gs1_check_digit(weight_code)
    assert scale_barcode_parse(weight_code).__dict__ == {"plu": "01234", "weight_g": 1250, "price_fen": None}
    price_code = scale_barcode_build(plu="01234", price_fen=2345)
    assert price_code.startswith("2801234")
    assert scale_barcode_parse(price_code).__dict__ == {"plu": "01234", "weight_g": None, "price_fen": 2345}
    long_code = scale_barcode_build(plu="01234", weight_g=1500, price_fen=4485)
    assert len(long_code) == 18
    assert scale_barcode_parse(long_code).__dict__ == {"plu": "01234", "weight_g": 1500, "price_fen": 4485}
    # a wrong check digit, a non-scale flag or an ordinary EAN-13 is not a scale code
    assert scale_barcode_parse(weight_code[:-1] + str((int(weight_code[-1]) + 1) % 10)) is None
    assert scale_barcode_parse(ean13("200000000001")) is None
    assert scale_barcode_parse("6901939621271") is None


def test_scale_format_is_configurable() -> None:
    fmt = ScaleBarcodeFormat(prefix="2", weight_flags=("1",), price_flags=("2", "3"), instore_prefix="29")
    code = scale_barcode_build(plu="00042", price_fen=1999, fmt=fmt)
    assert code.startswith("2200042")
    assert scale_barcode_parse(code, fmt).price_fen == 1999
    assert scale_barcode_parse(code) is None  # the default format does not know flag 2
    with pytest.raises(ValueError, match="collides"):
        ScaleBarcodeFormat(weight_flags=("0",), instore_prefix="20")


def test_scanned_scale_label_finds_the_sku_by_plu(
    make_product: Callable[..., Product], settings: object
) -> None:
    product = make_product("精品五花肉", code="PORK", retail_price_fen=2990)
    sku = SKU.objects.get(product=product)
    services.sku_update(sku=sku, scale_plu="00077")
    result = selectors.till_lookup(code=scale_barcode_build(plu="00077", weight_g=850), store_id=None)
    assert result is not None and result.matched_by == "scale"
    assert result.item["id"] == sku.pk and result.scale is not None and result.scale.weight_g == 850
    assert selectors.till_lookup(code=scale_barcode_build(plu="00078", weight_g=850), store_id=None) is None
