"""Receipt claims: a member who scans a sale's claim QR joins it and earns its points."""

from __future__ import annotations

from django.db import transaction

from mendian.core.services import audit_record
from mendian.members import services as member_services
from mendian.sales.models import Order


@transaction.atomic
def order_member_claim(*, token: str, member_id: int) -> Order:
    """Attach a completed sale without a member to the member who scanned its receipt's claim QR and
    credit its points exactly once: the order row is locked and attached only while it has no member;
    training, voided, pending and returned sales cannot be claimed."""
    from mendian.sales.claim import order_claim_token_resolve
    from mendian.sales.errors import OrderAlreadyClaimed, OrderClaimInvalid, OrderNotClaimable

    order_id = order_claim_token_resolve(token)
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise OrderClaimInvalid()
    if order.member_id is not None:
        raise OrderAlreadyClaimed()
    if order.is_training or order.status != Order.Status.COMPLETED:
        raise OrderNotClaimable(details={"status": order.status})
    if not Order.objects.filter(pk=order.pk, member_id__isnull=True).update(member_id=member_id):
        raise OrderAlreadyClaimed()
    order.member_id = member_id
    lines = list(order.lines.values_list("total_fen", "sku__product__category_id"))
    member_services.checkout_member_books(
        member_id=member_id,
        order_id=order.pk,
        order_total_fen=order.total_fen,
        store_id=order.store_id,
        member_tenders=[],
        earn_lines=[member_services.EarnLine(total_fen, category_id) for total_fen, category_id in lines],
        actor_id=None,
    )
    audit_record(
        action="order.member_claim",
        obj=order,
        after={"member_id": member_id},
        store_id=order.store_id,
        register_id=order.register_id,
    )
    return order
