"""Back office: sales pages are read-only and show a store manager only their store's rows."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from mendian.sales import services
from mendian.sales.selectors import LineInput
from mendian.stores.models import StaffProfile
from tests.sales.conftest import Till, make_sku


def test_manager_sees_own_store_orders_shifts_and_exceptions(
    till: Till, manager_a: StaffProfile, make_staff: Callable[..., StaffProfile]
) -> None:
    # given an order in store A and one in store B
    chain = till.chain
    mine = services.order_checkout(
        user=till.cashier.user,
        register=chain.register_a,
        client_order_id="11111111-1111-4111-8111-111111111111",
        lines=[LineInput(sku_id=till.skus[0].pk, qty=1)],
        tenders=[services.TenderInput(kind="cash", amount_fen=1250)],
    ).order
    cashier_b = make_staff(["cashier"], [chain.store_b])
    services.shift_open(user=cashier_b.user, register=chain.register_b, float_fen=0)
    sku_b = make_sku("B-1", 500, store=chain.store_b)
    theirs = services.order_checkout(
        user=cashier_b.user,
        register=chain.register_b,
        client_order_id="22222222-2222-4222-8222-222222222222",
        lines=[LineInput(sku_id=sku_b.pk, qty=1)],
        tenders=[services.TenderInput(kind="cash", amount_fen=500)],
    ).order
    services.shift_cash_move(
        user=till.cashier.user, shift=till.shift, kind="no_sale", amount_fen=0, reason="换零钱"
    )
    client = Client()
    client.force_login(manager_a.user)
    # when the manager of A opens the lists
    orders_page = client.get("/admin/sales/order/")
    shifts_page = client.get("/admin/sales/shift/")
    exceptions_page = client.get("/admin/sales/exceptionlog/")
    detail = client.get(f"/admin/sales/order/{mine.pk}/change/")
    other = client.get(f"/admin/sales/order/{theirs.pk}/change/")
    # then only A's rows show, read-only
    assert orders_page.status_code == 200
    assert [order.pk for order in orders_page.context["cl"].result_list] == [mine.pk]
    assert [shift.pk for shift in shifts_page.context["cl"].result_list] == [till.shift.pk]
    assert exceptions_page.status_code == 200
    assert "换零钱" in exceptions_page.text
    assert detail.status_code == 200
    assert other.status_code in (302, 404)
    assert client.get("/admin/sales/order/add/").status_code == 403
