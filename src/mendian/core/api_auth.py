"""How API callers prove who they are: a bearer token (tills, scripts) or the browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth


class BearerAuth(HttpBearer):
    """The token itself was resolved by BearerTokenMiddleware; here we only accept or refuse it."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if getattr(request, "mendian_bearer_valid", False):
            return request.user
        return None


api_auth = [BearerAuth(), django_auth]
