"""Request id and idempotency for every API call."""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core import context
from mendian.core.api_errors import error_response, request_too_large_response
from mendian.core.models import IdempotencyRecord

IDEMPOTENT_METHODS = {"POST", "PUT", "PATCH"}
# Sign-in answers carry a bearer token: they are never stored, and signing in twice is harmless.
NOT_IDEMPOTENT_PREFIXES = ("/api/v1/auth/",)
# How long a repeat waits for a live claim to finish before answering 409 with Retry-After. Short:
# waiting holds a worker thread. A double tap is served by a replay; a slow first request is not
# waited for.
WAIT_FOR_FIRST_SECONDS = 5.0
POLL_SECONDS = 0.1


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

    The first request claims the key with a lease (`locked_until`) and, when it answers 2xx, stores
    the answer; a repeat gets it back with `Idempotent-Replayed: true`. The same key for a different
    request (method, path, query string or body) gets 409. Only 2xx answers are kept: after a refusal
    (a 4xx: stock short, say) or a crash (5xx) the key is let go and a retry runs again.

    The lease is `settings.IDEMPOTENCY_LEASE_SECONDS` (MENDIAN_IDEMPOTENCY_LEASE_SECONDS, 30 s by
    default): longer than any request, so only the claim of a worker that died runs out.

    A repeat that finds the claim live waits up to WAIT_FOR_FIRST_SECONDS for the answer, then gets
    409 `idempotency_in_progress` with Retry-After. A claim whose lease has run out belongs to a worker
    that died mid-request: the first repeat to move the lease on (a compare-and-set on the old lease,
    so exactly one wins) runs the request; the others wait for its answer as above.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if (
            not key
            or request.method not in IDEMPOTENT_METHODS
            or not request.path.startswith("/api/")
            or request.path.startswith(NOT_IDEMPOTENT_PREFIXES)
        ):
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
        try:
            body = request.body
        except RequestDataTooBig:
            return request_too_large_response()
        request_hash = request_fingerprint(
            method=request.method or "",
            path=request.path,
            query_string=request.META.get("QUERY_STRING", ""),
            body=body,
        )
        claim = self._claim(request, principal, key, request_hash)
        if isinstance(claim, HttpResponse):
            return claim
        record_pk, lease = claim
        mine = IdempotencyRecord.objects.filter(
            pk=record_pk, state=IdempotencyRecord.State.IN_PROGRESS, locked_until=lease
        )
        try:
            response = self.get_response(request)
        except BaseException:
            mine.delete()
            raise
        if not 200 <= response.status_code < 300 or getattr(response, "streaming", False):
            mine.delete()
            return response
        # Guarded by our lease: had it run out and a retry taken the key over, the retry's answer stands.
        mine.update(
            state=IdempotencyRecord.State.DONE,
            locked_until=None,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            response_body=_answer_seal(bytes(response.content)),
        )
        return response

    def _claim(
        self, request: HttpRequest, principal: str, key: str, request_hash: str
    ) -> tuple[int, datetime] | HttpResponse:
        """Claim the key for this request (returns the record's pk and our lease), or the answer to
        give instead: the replay of the first answer, or a 409."""
        deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
        lease_length = timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)
        while True:
            lease = timezone.now() + lease_length
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        principal=principal,
                        key=key,
                        method=request.method or "",
                        path=request.path[:255],
                        request_hash=request_hash,
                        locked_until=lease,
                    )
                return record.pk, lease
            except IntegrityError:
                existing = None  # another request holds the key: read its record below
            existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
            if existing is None:
                continue  # the first request let the key go in between: claim it again
            if existing.request_hash != request_hash:
                return error_response(
                    409,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used for a different request."),
                )
            if existing.state == IdempotencyRecord.State.DONE:
                try:
                    content = _answer_unseal(bytes(existing.response_body or b""))
                except InvalidToken:
                    return error_response(
                        409,
                        "idempotency_answer_lost",
                        _(
                            "The first answer to this request can no longer be read. Check whether it "
                            "was done before sending it again with a new key."
                        ),
                    )
                response = HttpResponse(
                    content,
                    status=existing.status_code or 200,
                    content_type=existing.content_type or "application/json",
                )
                response["Idempotent-Replayed"] = "true"
                return response
            now = timezone.now()
            if existing.locked_until is None or existing.locked_until <= now:
                # The worker holding the claim died without letting go. Move the lease on only if it
                # is still the one we saw: of several retries doing this at once, one wins.
                taken_over = IdempotencyRecord.objects.filter(
                    pk=existing.pk,
                    state=IdempotencyRecord.State.IN_PROGRESS,
                    locked_until=existing.locked_until,
                ).update(locked_until=lease)
                if taken_over:
                    return existing.pk, lease
                continue
            if time.monotonic() >= deadline:
                retry_after = math.ceil((existing.locked_until - now).total_seconds())
                response = error_response(
                    409,
                    "idempotency_in_progress",
                    _("A request with this key is still being processed. Send it again shortly."),
                    {"retry_after_seconds": retry_after},
                )
                response["Retry-After"] = str(retry_after)
                return response
            time.sleep(POLL_SECONDS)


def request_fingerprint(*, method: str, path: str, query_string: str, body: bytes) -> str:
    """What makes two requests with one key "the same request": method, path, query string and body."""
    return hashlib.sha256(
        method.encode() + b"\n" + path.encode() + b"\n" + query_string.encode() + b"\n" + body
    ).hexdigest()


@functools.lru_cache(maxsize=4)
def _answer_cipher(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mendian-core", info=b"idempotency-answer").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _answer_seal(content: bytes) -> bytes:
    """Kept answers hold personal data (a manager's view of a new member shows the full phone): they are
    encrypted at rest like the member's own fields, with a key derived from SECRET_KEY."""
    return _answer_cipher(settings.SECRET_KEY).encrypt(content)


def _answer_unseal(sealed: bytes) -> bytes:
    """Raises InvalidToken when SECRET_KEY changed since the answer was kept."""
    return _answer_cipher(settings.SECRET_KEY).decrypt(sealed)
