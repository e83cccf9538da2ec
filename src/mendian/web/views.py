"""Pages shared by the whole product, and the health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from mendian import __version__
from mendian.core.selectors import health_report


def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(
        {"status": "ok" if healthy else "error", "version": __version__, **report},
        status=200 if healthy else 503,
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"version": __version__})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for URLs no route matches: JSON in the API's error format under /api/, a page elsewhere."""
    from django.utils.translation import gettext as _

    from mendian.core.api_errors import error_response

    if request.path.startswith("/api/"):
        return error_response(404, "not_found", _("Not found."))
    return render(request, "web/404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django answers here when reading the request failed outside a view (a middleware read a body over
    the upload limit, say): the API's error format under /api/, Django's page elsewhere."""
    from django.core.exceptions import RequestDataTooBig
    from django.utils.translation import gettext as _
    from django.views.defaults import bad_request as django_bad_request

    from mendian.core.api_errors import error_response, request_too_large_response

    if not request.path.startswith("/api/"):
        return django_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return request_too_large_response()
    return error_response(400, "malformed_request", _("The request could not be read."))


def server_error(request: HttpRequest) -> HttpResponse:
    from django.utils.translation import gettext as _

    from mendian.core.api_errors import error_response

    if request.path.startswith("/api/"):
        return error_response(500, "server_error", _("Something went wrong on our side. It has been logged."))
    return HttpResponse(_("Something went wrong on our side. It has been logged."), status=500)
