"""The exception log that managers review: rows written by the services and reported by tills."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError
from mendian.sales.models import ExceptionLog
from mendian.stores.models import Register


def exception_record(
    *,
    store_id: int,
    kind: str,
    register_id: int | None = None,
    actor_id: int | None = None,
    order_id: int | None = None,
    amount_fen: int | None = None,
    message: str = "",
    details: dict[str, Any] | None = None,
    is_training: bool = False,
) -> ExceptionLog:
    """Append one exception for managers to review. Called inside the action's transaction, or on its
    own after a refused request (the refusal itself wrote nothing else)."""
    return ExceptionLog.objects.create(
        store_id=store_id,
        register_id=register_id,
        actor_id=actor_id,
        kind=kind,
        order_id=order_id,
        amount_fen=amount_fen,
        message=str(message)[:300],
        details=details or {},
        is_training=is_training,
    )


CLIENT_EXCEPTION_KINDS = {
    ExceptionLog.Kind.LINE_VOID,
    ExceptionLog.Kind.ORDER_VOID,
    ExceptionLog.Kind.PRICE_MISSING,
    ExceptionLog.Kind.TENDER_FAILED,
    ExceptionLog.Kind.OUT_OF_STOCK,
}


@transaction.atomic
def exception_report(
    *,
    user: Any,
    register: Register,
    kind: str,
    message: str = "",
    amount_fen: int | None = None,
    details: dict[str, Any] | None = None,
) -> ExceptionLog:
    """A till reports what happened on its screen (a line or cart voided before payment, an unknown
    barcode, a payment that failed on the terminal)."""
    if kind not in CLIENT_EXCEPTION_KINDS:
        raise DomainError(
            _("This kind of exception cannot be reported by a till."), code="exception_kind_invalid"
        )
    return exception_record(
        store_id=register.store_id,
        register_id=register.pk,
        actor_id=user.pk,
        kind=kind,
        message=message,
        amount_fen=amount_fen,
        details=details,
        is_training=register.is_training,
    )
