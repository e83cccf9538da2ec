"""Domain errors: a stable machine code, a translated message, details, and the HTTP status the API uses."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the business refused the operation. Nothing was written."""

    status = 400
    code = "invalid_request"
    default_message: Any = _("The request is not valid.")

    def __init__(
        self, message: Any = None, *, code: str | None = None, details: dict[str, Any] | None = None
    ):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDeniedError(DomainError):
    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("The request conflicts with the current state.")


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = _("Sign in first.")


class TokenInvalid(Unauthenticated):
    """A bearer token was sent but is unknown, expired, revoked or its user disabled: the caller must
    sign in again (a till asks for the PIN), whatever else the request carries."""

    code = "token_invalid"
    default_message = _("The sign-in has expired or was revoked. Sign in again.")
