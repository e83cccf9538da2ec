"""What the customer display offers after a sale (/pos/display/<register>/sale/<receipt token>/): the
server-signed claim link for a sale without a member, the points earned for a member's sale."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mendian.members import services as member_services
from mendian.sales.claim import order_claim_token_resolve
from tests.sales.conftest import Till, order_body

pytestmark = pytest.mark.django_db


def sell(till: Till, **extra: Any) -> dict[str, Any]:
    status, order = till.api.post(
        "/sales/orders",
        order_body(
            till.chain.register_a.pk,
            [(till.skus[0], 2)],
            [{"kind": "cash", "amount_fen": 2500, "tendered_fen": 3000}],
            **extra,
        ),
    )
    assert status == 201, order
    return order


def test_a_sale_without_a_member_is_offered_its_claim_link(till: Till) -> None:
    # Given a ¥25 cash sale without a member
    order = sell(till)
    # When the display of its register asks about it (no sign-in: the receipt token is the key)
    response = Client().get(f"/pos/display/{till.chain.register_a.pk}/sale/{order['receipt_token']}/")
    # Then it gets the claim link, signed for this order, and its QR
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    token = body["claim_url"].removeprefix("http://testserver/r/claim/").removesuffix("/")
    assert order_claim_token_resolve(token) == order["id"]
    assert body == {
        "has_member": False,
        "points_earned": 0,
        "claim_url": f"http://testserver/r/claim/{token}/",
        "claim_qr_url": f"/r/claim/{token}/qr.svg",
        "receipt_qr_url": f"/r/{order['receipt_token']}/qr.svg",
    }


def test_a_member_sale_shows_the_points_earned_and_no_claim_link(till: Till) -> None:
    member = member_services.member_register(phone="13800001111")
    order = sell(till, member_id=member.pk)
    response = Client().get(f"/pos/display/{till.chain.register_a.pk}/sale/{order['receipt_token']}/")
    assert response.status_code == 200
    assert response.json() == {
        "has_member": True,
        "points_earned": 25,
        "claim_url": "",
        "claim_qr_url": "",
        "receipt_qr_url": f"/r/{order['receipt_token']}/qr.svg",
    }


def test_only_the_selling_register_and_a_real_token_get_an_answer(till: Till) -> None:
    order = sell(till)
    client = Client()
    other_register = client.get(f"/pos/display/{till.chain.register_b.pk}/sale/{order['receipt_token']}/")
    unknown = client.get(f"/pos/display/{till.chain.register_a.pk}/sale/NoSuchReceiptToken1/")
    malformed = client.get(f"/pos/display/{till.chain.register_a.pk}/sale/a.b/")
    assert (other_register.status_code, unknown.status_code, malformed.status_code) == (404, 404, 404)
