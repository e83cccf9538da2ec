"""The member centre /m/ (mobile web, the mini-program's twin): sign-in by SMS code, member card with the
live QR, ledgers, count cards, orders and e-receipts, profile and consent, referral link, language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

import qrcode
import qrcode.image.svg
from django.apps import apps
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mendian.core.errors import DomainError
from mendian.members import crypto, selectors, services
from mendian.members.models import CountCard, Member, MembershipCard, PointsEntry, WalletEntry

SESSION_KEY = "mendian_member_id"
View = Callable[..., HttpResponse]


def member_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member_id = request.session.get(SESSION_KEY)
        member = (
            Member.objects.select_related("tier").filter(pk=member_id, is_active=True).first()
            if member_id
            else None
        )
        if member is None:
            return redirect("members_web:login")
        request.member = member  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def qr_svg(data: str) -> str:
    """A QR code as inline SVG, rendered on the server (no script from elsewhere)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")  # type: ignore[no-any-return]


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "phone": "",
        "code_sent": False,
        "error": "",
        "ref": request.GET.get("ref", ""),
        "next": _safe_next(request, request.GET.get("next", "")),
        "channel": request.GET.get("channel", ""),
    }
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        context.update(
            phone=phone,
            ref=request.POST.get("ref", ""),
            next=_safe_next(request, request.POST.get("next", "")),
            channel=request.POST.get("channel", ""),
        )
        try:
            if request.POST.get("action") == "send":
                services.sms_code_request(phone=phone)
                context["code_sent"] = True
            else:
                member, _created = services.member_sign_in_by_sms(
                    phone=phone,
                    code=request.POST.get("code", ""),
                    referral_code=context["ref"],
                    channel=Member.Channel.RECEIPT
                    if context["channel"] == "receipt"
                    else Member.Channel.SELF_SERVICE,
                )
                request.session.cycle_key()
                request.session[SESSION_KEY] = member.pk
                return redirect(context["next"] or "members_web:home")
        except DomainError as exc:
            context["error"] = str(exc.message)
            context["code_sent"] = request.POST.get("action") != "send"
    return render(request, "members/m/login.html", context)


def _safe_next(request: HttpRequest, target: str) -> str:
    """Only a path on this site may follow the sign-in (the receipt's claim page, for one)."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("members_web:login")


@never_cache
@member_required
def home(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    code = services.member_code_issue(member=member)
    context = {
        "member": member,
        "phone": crypto.phone_mask(selectors.member_phone(member)),
        "balances": selectors.member_balances(member),
        "code": code,
        "qr": qr_svg(code),
        "refresh_seconds": max(selectors.program_get().member_code_ttl_seconds - 10, 10),
    }
    return render(request, "members/m/home.html", context)


@never_cache
@member_required
def code_json(request: HttpRequest) -> JsonResponse:
    """A fresh rotating code for the card page to swap in before the old one expires."""
    code = services.member_code_issue(member=request.member)  # type: ignore[attr-defined]
    return JsonResponse({"code": code, "svg": qr_svg(code)})


@never_cache
@member_required
def points_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "members/m/points.html",
        {
            "balances": selectors.member_balances(member),
            "entries": selectors.points_history(member, limit=100),
            "kinds": dict(PointsEntry.Kind.choices),
        },
    )


@never_cache
@member_required
def wallet_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "members/m/wallet.html",
        {
            "balances": selectors.member_balances(member),
            "entries": selectors.wallet_history(member, limit=100),
            "kinds": dict(WalletEntry.Kind.choices),
        },
    )


@never_cache
@member_required
def cards_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    return render(
        request,
        "members/m/cards.html",
        {
            "count_cards": CountCard.objects.filter(member=member).select_related("plan").order_by("-id"),
            "membership": MembershipCard.objects.filter(member=member).select_related("plan").first(),
        },
    )


@never_cache
@member_required
def orders_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    # The sales app sits above members; the member centre is the edge that shows both.
    order_model = apps.get_model("sales", "Order")
    orders = (
        order_model.objects.filter(member_id=member.pk)
        .order_by("-id")
        .values("number", "total_fen", "status", "created_at", "receipt_token")[:50]
    )
    return render(request, "members/m/orders.html", {"orders": orders})


@never_cache
@member_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    saved = False
    error = ""
    if request.method == "POST":
        birthday_text = request.POST.get("birthday", "").strip()
        try:
            birthday = dt.date.fromisoformat(birthday_text) if birthday_text else None
        except ValueError:
            birthday = None
            error = _("Write the birthday as 1990-05-17.")
        gender = request.POST.get("gender", "")
        if not error:
            member = services.member_update(
                member=member,
                actor_id=None,
                name=request.POST.get("name", "").strip()[:50],
                gender=gender if gender in {"", "f", "m"} else "",
                birthday=birthday,
                region=request.POST.get("region", "").strip()[:100],
                marketing_consent=request.POST.get("marketing_consent") == "on",
            )
            saved = True
    return render(
        request,
        "members/m/profile.html",
        {"member": member, "birthday": selectors.member_birthday(member), "saved": saved, "error": error},
    )


@never_cache
@member_required
def referral_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    link = request.build_absolute_uri(f"/m/login/?ref={member.referral_code}")
    return render(request, "members/m/referral.html", {"member": member, "link": link, "qr": qr_svg(link)})
