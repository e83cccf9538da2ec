"""The receipt's claim page /r/claim/<token>/: the customer signs in or joins in the member centre by
phone and SMS code, comes back here and credits the order's points to the membership (once)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mendian.core.errors import DomainError
from mendian.members.models import Member, PointsEntry
from mendian.members.views import SESSION_KEY, qr_svg
from mendian.sales.claim import order_claim_token_resolve
from mendian.sales.errors import OrderAlreadyClaimed
from mendian.sales.models import Order
from mendian.sales.services import order_member_claim


@never_cache
@require_http_methods(["GET", "POST"])
def claim_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the order and the way to sign in; POST (signed in) credits the points."""
    member_id = request.session.get(SESSION_KEY)
    member = Member.objects.filter(pk=member_id, is_active=True).first() if member_id else None
    context: dict[str, object] = {"token": token, "member": member, "error": "", "claimed": None}
    try:
        order = Order.objects.select_related("store").filter(pk=order_claim_token_resolve(token)).first()
    except DomainError as exc:
        context["error"] = str(exc.message)
        return render(request, "members/m/claim.html", context, status=400)
    context["order"] = order
    if request.method == "POST" and member is not None:
        try:
            order_member_claim(token=token, member_id=member.pk)
        except DomainError as exc:
            context["error"] = str(exc.message)
        else:
            entry = PointsEntry.objects.filter(
                account__member=member,
                kind=PointsEntry.Kind.EARN,
                source_type="order",
                source_id=str(order.pk if order else ""),
            ).first()
            context["claimed"] = entry.points if entry else 0
    elif order is not None and order.member_id is not None:
        context["error"] = str(OrderAlreadyClaimed.default_message)
    context["login_url"] = (
        reverse("members_web:login") + "?" + urlencode({"next": request.path, "channel": "receipt"})
    )
    return render(request, "members/m/claim.html", context)


def claim_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The claim link as a QR code (SVG), for the e-receipt page."""
    try:
        order_claim_token_resolve(token)
    except DomainError as exc:
        raise Http404 from exc
    url = request.build_absolute_uri(reverse("sales:order_claim", args=[token]))
    response = HttpResponse(qr_svg(url), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response
