"""The receipt's claim QR: a customer without a membership joins by phone and SMS code and the points of
that order are credited exactly once (sales.services.order_member_claim calls the members ledgers)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import translation

from mendian.catalog.models import SKU
from mendian.core.models import AuditEntry
from mendian.members.models import Member, PointsAccount, PointsEntry
from mendian.notifications.models import ConsoleSms
from mendian.sales import services as sales_services
from mendian.sales.claim import CLAIM_SALT, order_claim_path, order_claim_token, order_claim_token_resolve
from mendian.sales.errors import OrderAlreadyClaimed, OrderClaimExpired, OrderClaimInvalid, OrderNotClaimable
from mendian.sales.models import Order
from mendian.sales.receipt_render import receipt_bytes, receipt_from_order
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.sales.conftest import make_sku, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def till(chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]) -> ApiClient:
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    return api_as(cashier_a, chain.register_a)


@pytest.fixture
def sku(chain: Chain) -> SKU:
    return make_sku("C1", 2550, store=chain.store_a)


def sell(till: ApiClient, chain: Chain, sku: SKU, qty: int = 2, **extra: Any) -> Order:
    total = 2550 * qty
    status, body = till.post(
        "/sales/orders",
        order_body(
            chain.register_a.pk,
            [(sku, qty)],
            [{"kind": "cash", "amount_fen": total, "tendered_fen": total}],
            **extra,
        ),
    )
    assert status == 201, body
    return Order.objects.get(pk=body["id"])


def earned(member: Member) -> list[tuple[str, int, str]]:
    return list(PointsEntry.objects.filter(account__member=member).values_list("kind", "points", "source_id"))


def test_a_claim_attaches_the_order_and_earns_its_points_once(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    # Given a ¥51 sale without a member and a member who scans its receipt
    order = sell(till, chain, sku)
    member = make_member()
    token = order_claim_token(order.pk)
    # When the member claims it
    sales_services.order_member_claim(token=token, member_id=member.pk)
    # Then the order is the member's and it earned 51 points (1 per yuan), audited
    order.refresh_from_db()
    assert order.member_id == member.pk
    assert earned(member) == [("earn", 51, str(order.pk))]
    assert PointsAccount.objects.get(member=member).balance == 51
    assert AuditEntry.objects.filter(action="order.member_claim").count() == 1
    # When the same link is used again, by the same or another member, it is refused and nothing changes
    other = make_member()
    for who in (member, other):
        with pytest.raises(OrderAlreadyClaimed):
            sales_services.order_member_claim(token=token, member_id=who.pk)
    assert PointsAccount.objects.get(member=member).balance == 51
    assert earned(other) == []
    assert order_claim_path(order) == ""


def test_an_order_sold_to_a_member_cannot_be_claimed(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    owner, claimant = make_member(), make_member()
    order = sell(till, chain, sku, member_id=owner.pk)
    with pytest.raises(OrderAlreadyClaimed):
        sales_services.order_member_claim(token=order_claim_token(order.pk), member_id=claimant.pk)
    assert earned(claimant) == [] and earned(owner) == [("earn", 51, str(order.pk))]


def test_returned_and_training_orders_cannot_be_claimed(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    order = sell(till, chain, sku)
    status, _body = till.post(
        f"/sales/orders/{order.pk}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": order.lines.get().pk, "qty": 1}],
            "restock": True,
            "reason": "不合适",
        },
    )
    assert status == 201
    with pytest.raises(OrderNotClaimable):
        sales_services.order_member_claim(token=order_claim_token(order.pk), member_id=member.pk)
    training = sell(till, chain, sku)
    Order.objects.filter(pk=training.pk).update(is_training=True)
    with pytest.raises(OrderNotClaimable):
        sales_services.order_member_claim(token=order_claim_token(training.pk), member_id=member.pk)
    assert earned(member) == []
    assert Order.objects.filter(member_id=member.pk).count() == 0


def test_tampered_and_expired_links_are_refused(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    order = sell(till, chain, sku)
    token = order_claim_token(order.pk)
    with pytest.raises(OrderClaimInvalid):
        sales_services.order_member_claim(
            token=token.replace(str(order.pk), str(order.pk + 1), 1), member_id=member.pk
        )
    old = signing.TimestampSigner(salt=CLAIM_SALT)
    # A token signed 8 days ago is older than the 7-day validity
    stamp = signing.b62_encode(int(signing.time.time()) - 8 * 24 * 3600)
    value = f"{order.pk}{old.sep}{stamp}"
    expired = f"{value}{old.sep}{old.signature(value)}"
    with pytest.raises(OrderClaimExpired):
        sales_services.order_member_claim(token=expired, member_id=member.pk)
    assert Order.objects.get(pk=order.pk).member_id is None and earned(member) == []


def test_receipt_shows_the_claim_qr_and_the_phone_flow_registers_and_credits(
    till: ApiClient,
    chain: Chain,
    sku: SKU,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    order = sell(till, chain, sku)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    # The e-receipt shows a claim link and QR; the printed receipt carries a second QR
    page = client.get(f"/r/{order.receipt_token}/").content.decode()
    match = re.search(r'href="(/r/claim/[^"]+/)" data-testid="receipt-claim-link"', page)
    assert match is not None and match.group(1)
    claim_path = match.group(1)
    assert client.get(claim_path + "qr.svg")["Content-Type"] == "image/svg+xml"
    receipt = receipt_from_order(order, receipt_url=f"http://shop.test/r/{order.receipt_token}/")
    prefix = "http://shop.test/r/claim/"
    assert receipt.claim_url.startswith(prefix)
    assert order_claim_token_resolve(receipt.claim_url.removeprefix(prefix).rstrip("/")) == order.pk
    assert receipt.claim_url.encode() in receipt_bytes(receipt)
    # When a new customer opens the claim page, signs up by SMS and comes back
    page = client.get(claim_path).content.decode()
    assert 'data-testid="claim-sign-in"' in page
    login = re.search(r'href="(/m/login/\?[^"]+)" data-testid="claim-sign-in"', page)
    assert login is not None
    assert client.get(login.group(1).replace("&amp;", "&")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/m/login/", {"phone": "13912340001", "action": "send", "next": claim_path, "channel": "receipt"}
        )
    code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert code is not None
    response = client.post(
        "/m/login/",
        {
            "phone": "13912340001",
            "code": code.group(),
            "action": "verify",
            "next": claim_path,
            "channel": "receipt",
        },
    )
    assert response.status_code == 302 and response["Location"] == claim_path
    member = Member.objects.get()
    assert member.channel == Member.Channel.RECEIPT
    assert 'data-testid="claim-points"' in client.get(claim_path).content.decode()
    page = client.post(claim_path).content.decode()
    # Then the points are credited and the page says so in Chinese
    assert 'data-testid="claim-done"' in page and "51" in page
    assert PointsAccount.objects.get(member=member).balance == 51
    # And a second claim shows a clear message, without a second credit
    page = client.post(claim_path).content.decode()
    with translation.override("zh-hans"):
        message = str(OrderAlreadyClaimed.default_message)
    assert 'data-testid="claim-error"' in page and message in page
    assert PointsAccount.objects.get(member=member).balance == 51
    assert 'data-testid="receipt-claim"' not in client.get(f"/r/{order.receipt_token}/").content.decode()


def test_login_ignores_a_next_page_on_another_site(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/m/login/", {"phone": "13912340002", "action": "send"})
    code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert code is not None
    response = client.post(
        "/m/login/",
        {"phone": "13912340002", "code": code.group(), "action": "verify", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/m/"
