"""Request id and idempotency for every API call."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from mendian.core import context
from mendian.core.api_errors import error_response
from mendian.core.models import IdempotencyRecord

IDEMPOTENT_METHODS = {"POST", "PUT", "PATCH"}
WAIT_FOR_FIRST_SECONDS = 15.0


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming[:64] if incoming and incoming.isascii() else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.bind(request_id=request_id, ip_address=request.META.get("REMOTE_ADDR", ""))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class IdempotencyMiddleware:
    """A creating API request with an Idempotency-Key runs once per (caller, key).

    A repeat gets the first response back (with `Idempotent-Replayed: true`); the same key with a
    different body gets 409; a repeat that arrives while the first is still running waits for it.
    Responses of 5xx are not kept, so a retry after a crash runs again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if not key or request.method not in IDEMPOTENT_METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255 or not key.isprintable():
            return error_response(
                400, "idempotency_key_invalid", _("The Idempotency-Key header is not valid.")
            )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            principal = f"user:{user.pk}"
        else:
            principal = f"anon:{request.META.get('REMOTE_ADDR', '')}"
        request_hash = hashlib.sha256(
            request.method.encode() + b"\n" + request.path.encode() + b"\n" + request.body
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    principal=principal,
                    key=key,
                    method=request.method or "",
                    path=request.path[:255],
                    request_hash=request_hash,
                )
        except IntegrityError:
            return self._repeat(principal, key, request_hash)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.DONE,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            response_body=bytes(response.content),
        )
        return response

    def _repeat(self, principal: str, key: str, request_hash: str) -> HttpResponse:
        deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
        while True:
            record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
            if record is None:
                return error_response(
                    409, "idempotency_retry", _("The first request with this key failed; send it again.")
                )
            if record.request_hash != request_hash:
                return error_response(
                    409,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used for a different request."),
                )
            if record.state == IdempotencyRecord.State.DONE:
                response = HttpResponse(
                    bytes(record.response_body or b""),
                    status=record.status_code or 200,
                    content_type=record.content_type or "application/json",
                )
                response["Idempotent-Replayed"] = "true"
                return response
            if time.monotonic() > deadline:
                return error_response(
                    409, "idempotency_in_progress", _("A request with this key is still being processed.")
                )
            time.sleep(0.05)
