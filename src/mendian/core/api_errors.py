"""The API's one error format: {"error": {"code", "message", "details"}} with a 4xx status, translated."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def error_response(
    status: int, code: str, message: Any, details: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": str(message), "details": details or {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def request_too_large_response() -> JsonResponse:
    """The answer to a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises RequestDataTooBig when the
    body or the form fields are read, which may happen in a middleware or in ninja's parsing)."""
    from django.conf import settings

    return error_response(
        413,
        "request_too_large",
        _("The request is too large."),
        {"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    )


def install_handlers(api: Any) -> None:
    """Map every exception an endpoint can raise on its way out to the error format."""
    from django.core.exceptions import PermissionDenied, RequestDataTooBig
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.db import DataError
    from ninja.errors import AuthenticationError, HttpError, ValidationError

    from mendian.core.errors import DomainError

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = []
        for item in exc.errors:
            fields.append(
                {
                    "loc": [str(part) for part in item.get("loc", [])],
                    "type": item.get("type", ""),
                    "message": item.get("msg", ""),
                }
            )
        return error_response(
            422, "validation_error", _("Some fields are missing or invalid."), {"fields": fields}
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "unauthenticated", _("Sign in first."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "permission_denied", _("You do not have permission to do this."))

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return error_response(422, "validation_error", " ".join(exc.messages), {"messages": exc.messages})

    @api.exception_handler(OverflowError)
    def overflow_error(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # A number larger than the database can hold came in (an id of 10**30, say): the input is wrong.
        return error_response(422, "value_out_of_range", _("A number in the request is out of range."))

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # The database refused a value (out of range, too long): the transaction was rolled back.
        return error_response(422, "value_out_of_range", _("A value in the request is out of range."))

    @api.exception_handler(RequestDataTooBig)
    def request_data_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return request_too_large_response()

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps whatever reading the body raised in "400 Cannot parse request body".
        if isinstance(exc.__cause__, DomainError):
            return domain_error(request, exc.__cause__)
        if isinstance(exc.__cause__, RequestDataTooBig):
            return request_too_large_response()
        if exc.status_code == 400 and "parse request body" in str(exc):
            return error_response(400, "malformed_json", _("The request body is not valid JSON."))
        if exc.status_code == 403 and "CSRF" in str(exc):
            return error_response(
                403, "csrf_failed", _("The CSRF check failed. Reload the page and try again.")
            )
        if exc.status_code == 400:
            return error_response(400, "malformed_request", _("The request could not be read."))
        return error_response(exc.status_code, "http_error", str(exc))


def axes_lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes calls this when an account is locked: JSON for the API, a page for the admin."""
    message = _("Too many failed sign-in attempts. The account is locked for 30 minutes.")
    if request.path.startswith("/api/"):
        return error_response(403, "locked_out", message)
    return HttpResponse(f"<h1>{message}</h1>", status=403)
