"""Bearer tokens for tills and scripts: resolve the token once per request into request.user."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from mendian.core import context
from mendian.stores.selectors import api_token_lookup


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.mendian_register = None  # type: ignore[attr-defined]
        request.mendian_bearer_valid = False  # type: ignore[attr-defined]
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            token = api_token_lookup(header[7:].strip())
            if token is not None and token.user.is_active:
                request.user = token.user
                request.mendian_register = token.register  # type: ignore[attr-defined]
                request.mendian_bearer_valid = True  # type: ignore[attr-defined]
                # A bearer token is not a cookie a forged cross-site form could send.
                request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        register = request.mendian_register  # type: ignore[attr-defined]
        context_token = context.bind(
            actor_id=user.pk if user is not None and user.is_authenticated else None,
            register_id=register.pk if register is not None else None,
            store_id=register.store_id if register is not None else None,
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(context_token)
