"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("MENDIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations() -> None:
    """Assertions wait up to 15 s: CI machines have two cores shared with the server under test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    """A fresh browser context (Simplified Chinese, desktop size) per test."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: object, live_server: object) -> Iterator[object]:
    """A browser context at phone width (375 px), as the member centre is used."""
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


# The till's browser tests share one small stocked store.
TILL_ITEMS = [
    # code, name, price (fen), barcode
    ("P001", "可口可乐 500ml", 300, "6901234567892"),
    ("P002", "奥利奥饼干", 850, "6902345678903"),
    ("P003", "农夫山泉", 200, "6903456789014"),
]
SCREENSHOT_DIR = os.environ.get("MENDIAN_SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def stocked_store(chain: object) -> dict[str, object]:
    """Three products with barcodes and 20 of each in store A, keyed by barcode."""
    from mendian.catalog.services import product_create_with_variants
    from mendian.inventory.services import StockChange, stock_apply

    skus: dict[str, object] = {}
    for code, name, price_fen, barcode in TILL_ITEMS:
        sku = product_create_with_variants(
            code=code, name=name, retail_price_fen=price_fen, barcodes=[barcode]
        ).skus.get()
        stock_apply(
            store=chain.store_a, changes=[StockChange(sku.pk, 20)], reason="receipt", source_type="test"
        )  # type: ignore[attr-defined]
        skus[barcode] = sku
    return skus


def scan(page: object, barcode: str) -> None:
    """A keyboard-wedge scanner: the digits in one fast burst, then Enter, into whatever has focus."""
    page.keyboard.type(barcode)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def till_sign_in(page: object, base: str, register_token: str, employee_no: str, pin: str) -> None:
    """Open the till, enrol the register by its token and sign in with a PIN; the scan field has focus."""
    from playwright.sync_api import expect

    page.goto(f"{base}/pos/")  # type: ignore[attr-defined]
    # Each screen puts the focus on its first field a moment after it appears: let it land before
    # typing, or the typing may follow the focus into another field.
    expect(page.locator("#pos-register-token")).to_be_focused()  # type: ignore[attr-defined]
    page.fill("#pos-register-token", register_token)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(page.locator("#pos-employee-no")).to_be_focused()  # type: ignore[attr-defined]
    page.fill("#pos-employee-no", employee_no)  # type: ignore[attr-defined]
    page.fill("#pos-pin", pin)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(page.locator("#pos-search")).to_be_focused()  # type: ignore[attr-defined]


def return_choose(page: object, order_number: str, item_name: str, qty: int) -> None:
    """F7 at the till: find the order by its number and choose how many of one item come back."""
    page.keyboard.press("F7")  # type: ignore[attr-defined]
    page.fill("#pos-return-query", order_number)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    line = page.get_by_test_id("return-line").filter(has_text=item_name)  # type: ignore[attr-defined]
    line.locator("input").fill(str(qty))


def texted_code(recipient_masked: str, purpose: str | None = None) -> str:
    """The six-digit code in the newest SMS the console backend kept, checked to be for this phone."""
    import re

    from mendian.notifications.models import ConsoleSms

    messages = ConsoleSms.objects.order_by("-id")
    message = (messages.filter(purpose=purpose) if purpose else messages).first()
    assert message is not None and message.recipient_masked == recipient_masked
    match = re.search(r"\d{6}", message.text)
    assert match is not None
    return match.group()


def pay_cash(page: object, due: str, cash: str) -> None:
    """F9 at the till, check what is due (e.g. "¥13.50"), take `cash` yuan and finish with Enter."""
    from playwright.sync_api import expect

    page.keyboard.press("F9")  # type: ignore[attr-defined]
    expect(page.get_by_test_id("due")).to_have_text(due)  # type: ignore[attr-defined]
    page.fill("#pos-tender-amount", cash)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
