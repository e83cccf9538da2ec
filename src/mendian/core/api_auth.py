"""How API callers prove who they are: a bearer token (tills, scripts) or the browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from mendian.core.errors import TokenInvalid


class BearerAuth(HttpBearer):
    """The token itself was resolved by BearerTokenMiddleware; here we only accept or refuse it.

    A request that sends a bearer token is judged by that token alone. Returning None would let ninja
    fall through to the session check, which answers a dead token on a POST with "CSRF failed" (and
    could let a browser's session stand in for a till's revoked token): a dead token is a 401 instead.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if getattr(request, "mendian_bearer_valid", False):
            return request.user
        raise TokenInvalid()


api_auth = [BearerAuth(), django_auth]
