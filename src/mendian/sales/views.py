"""Pages of the till: the cashier screen, the customer display, the public e-receipt, and printing.

The cashier screen is one page driven by Alpine.js; every business action goes through the JSON
API (/api/v1/) with the bearer token the till got at PIN sign-in. The few JSON views here are the
till's hardware side (send a receipt to the register's printer) and a look-up of an order by
receipt number for returns.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mendian.core.api_errors import error_response
from mendian.core.errors import DomainError
from mendian.sales.printing import drawer_open, receipt_print, receipt_reprint_record
from mendian.sales.receipt_render import (
    Receipt,
    receipt_from_order,
    receipt_from_prepaid,
    receipt_from_return,
    receipt_pdf,
)
from mendian.stores.selectors import permission_check, scope_to_stores

RECEIPT_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Denominations of the renminbi a drawer holds, in fen, largest first.
CASH_DENOMINATIONS_FEN = [10000, 5000, 2000, 1000, 500, 100, 50, 10]


def pos_strings() -> dict[str, str]:
    """Every message the cashier screen's script shows, translated (the script holds no UI literals)."""
    return {
        "enrol_saved": _("This register is enrolled."),
        "enrol_missing": _("Paste the register's device token first."),
        "signed_out": _("Signed out."),
        "network_error": _("The server cannot be reached. Check the network and try again."),
        "session_expired": _("Your sign-in has expired. Sign in again."),
        "not_found_code": _("No product has this code: %(code)s"),
        "no_results": _("Nothing found."),
        "cart_empty": _("The cart is empty."),
        "qty_invalid": _("Enter a whole quantity of at least 1."),
        "amount_invalid": _("Enter an amount in yuan, e.g. 100 or 12.50."),
        "tenders_short": _("The payments do not cover the total yet."),
        "card_last4_invalid": _("Enter the last 4 digits of the card."),
        "held": _("The order is held."),
        "held_none": _("No held orders."),
        "resumed": _("The held order is back in the cart."),
        "printed": _("The receipt is printing."),
        "reprinted": _("Reprinted."),
        "print_failed": _("Printing failed: %(error)s"),
        "order_not_found": _("No order has this number or receipt code."),
        "return_nothing": _("Choose at least one line to return."),
        "return_done": _("Refunded %(amount)s."),
        "shift_opened": _("The shift is open."),
        "shift_closed": _("The shift is closed."),
        "confirm_void": _("Void the whole order?"),
        "confirm_close": _("Close the shift with the counted cash?"),
        "voided": _("The order is voided."),
        "line_removed": _("The line is removed."),
        "scan_added": _("Added %(name)s."),
        "tender_cash": _("Cash"),
        "tender_card": _("Bank card"),
        "tender_pending_digital": _("Digital payment"),
        "tender_points": _("Points"),
        "tender_stored_value": _("Stored value"),
        "offline_quote": _("Totals are estimated until the server answers."),
        "reason_required": _("Give a reason for the discount."),
        "manager_required": _("A manager must enter their employee number and PIN."),
        "reason_member_price": _("member price"),
        "reason_tier_discount": _("member discount"),
        "reason_manual_discount": _("manual discount"),
        "reason_price_override": _("price changed"),
        "reason_gift": _("gift"),
        "gift_on": _("%(name)s is a gift now."),
        "gift_off": _("%(name)s is no longer a gift."),
        "price_above_list": _("The new price cannot be above the list price."),
        "price_reason_required": _("Give a reason for the price change."),
        "return_reason_required": _("Give a reason for the return."),
        "refund_above_price": _("A return without receipt refunds at most the current price."),
        "unreceipted_forbidden": _("Returns without receipt need a manager: sign in as one."),
        "exchange_cart_empty": _("Scan the new items into the cart first."),
        "exchange_done": _("Exchanged: new order %(number)s."),
        "prepaid_member_first": _("Attach the member first: scan their code or type their phone."),
        "prepaid_amount_invalid": _("Enter an amount in yuan, e.g. 100 or 12.50."),
        "prepaid_top_up": _("Stored value top-up"),
        "prepaid_plan_bonus": _("Pay %(pay)s, get %(bonus)s extra"),
        "prepaid_uses": _("%(uses)s uses, valid %(days)s days"),
        "prepaid_days": _("valid %(days)s days"),
        "prepaid_upgrade_for": _("Upgrade for %(amount)s"),
        "prepaid_reason_needed": _("Give a reason for paying back."),
        "prepaid_choose_card": _("Choose the count card to pay back."),
        "prepaid_paid": _("Paid"),
        "prepaid_paid_back": _("Paid back"),
        "prepaid_kind_top_up": _("stored value top-up"),
        "prepaid_kind_count_card": _("count card sale"),
        "prepaid_kind_membership_buy": _("paid membership card"),
        "prepaid_kind_membership_renew": _("paid membership renewal"),
        "prepaid_kind_membership_upgrade": _("paid membership upgrade"),
        "prepaid_kind_top_up_refund": _("stored value refund"),
        "prepaid_kind_count_card_refund": _("count card refund"),
        "prepaid_kind_membership_refund": _("paid membership refund"),
    }


def pos_page(request: HttpRequest) -> HttpResponse:
    """The cashier screen. It needs no Django session: the till signs in with its device token and a PIN."""
    context = {
        "strings": pos_strings(),
        "config": {
            "api": "/api/v1",
            "printUrl": reverse("sales:receipt_print", args=[0]).replace("/0/", "/{id}/"),
            "findOrderUrl": reverse("sales:order_find"),
            "drawerUrl": reverse("sales:drawer_open"),
            "returnPrintUrl": reverse("sales:return_print", args=[0]).replace("/0/", "/{id}/"),
            "displayUrl": reverse("sales:display", args=[0]).replace("/0/", "/{id}/"),
            "denominations": CASH_DENOMINATIONS_FEN,
            "exceptionsUrl": reverse("sales:exceptions"),
        },
        "denominations": [(fen, _denomination_label(fen)) for fen in CASH_DENOMINATIONS_FEN],
    }
    return render(request, "sales/pos.html", context)


def exceptions_page(request: HttpRequest) -> HttpResponse:
    """The manager's page: the till's exception log and the store's daily close. Like the till, it
    reads the JSON API with the bearer token of the PIN sign-in kept in this browser tab."""
    from mendian.sales.models import ExceptionLog, PrepaidSale

    context = {
        "kinds": list(ExceptionLog.Kind.choices),
        "strings": {
            "network_error": _("The server cannot be reached. Check the network and try again."),
            "signed_out": _("Sign in at the till first (as a manager)."),
            "forbidden": _("Only managers may see this page."),
            "none": _("No exceptions."),
            "tender_cash": _("Cash"),
            "tender_card": _("Bank card"),
            "tender_pending_digital": _("Digital payment"),
            "tender_points": _("Points"),
            "tender_stored_value": _("Stored value"),
            **{f"kind_{value}": str(label) for value, label in ExceptionLog.Kind.choices},
            **{f"prepaid_{value}": str(label) for value, label in PrepaidSale.Kind.choices},
        },
        "config": {"api": "/api/v1", "posUrl": reverse("sales:pos")},
    }
    return render(request, "sales/exceptions.html", context)


def _denomination_label(fen: int) -> str:
    if fen >= 100:
        return _("%(yuan)s yuan") % {"yuan": fen // 100}
    return _("%(jiao)s jiao") % {"jiao": fen // 10}


def display_page(request: HttpRequest, register_id: int) -> HttpResponse:
    """The customer-facing second screen: it shows what the till on the same machine publishes."""
    sale_url = reverse("sales:display_sale", args=[register_id, "TOKEN"]).replace("TOKEN", "{token}")
    return render(request, "sales/display.html", {"register_id": register_id, "sale_url": sale_url})


@never_cache
@require_GET
def display_sale(request: HttpRequest, register_id: int, receipt_token: str) -> HttpResponse:
    """What the display offers after a sale, for the receipt token the till published: a sale without a
    member gets the claim QR (join on the phone and earn this order's points); a member's sale gets the
    e-receipt QR and the points it earned. The receipt token is the key, as for the e-receipt itself;
    the claim token is signed here, never on the client."""
    from mendian.members.selectors import points_earned_for_order
    from mendian.sales.claim import order_claim_token, order_claimable
    from mendian.sales.selectors import order_for_display

    if not RECEIPT_TOKEN_PATTERN.match(receipt_token):
        raise Http404
    order = order_for_display(register_id=register_id, receipt_token=receipt_token)
    if order is None:
        raise Http404
    claim_url = claim_qr_url = ""
    if order_claimable(order):
        claim_token = order_claim_token(order.pk)
        claim_url = request.build_absolute_uri(reverse("sales:order_claim", args=[claim_token]))
        claim_qr_url = reverse("sales:order_claim_qr", args=[claim_token])
    points_earned = 0
    if order.member_id is not None:
        points_earned = points_earned_for_order(member_id=order.member_id, order_id=order.pk)
    return JsonResponse(
        {
            "has_member": order.member_id is not None,
            "points_earned": points_earned,
            "claim_url": claim_url,
            "claim_qr_url": claim_qr_url,
            "receipt_qr_url": reverse("sales:receipt_qr", args=[receipt_token]),
        }
    )


def _order_model() -> Any:
    from mendian.sales.models import Order

    return Order


def _order_for_receipt(**lookup: Any) -> Any:
    order_model = _order_model()
    return (
        order_model.objects.select_related("store", "register", "cashier__staff")
        .prefetch_related("lines", "tenders")
        .filter(**lookup)
        .first()
    )


def _receipt_order(receipt_token: str) -> Any:
    """The order (or stored value and card sale) behind an e-receipt link, or 404: anyone holding the
    unguessable token may read it."""
    if not RECEIPT_TOKEN_PATTERN.match(receipt_token):
        raise Http404
    order = _order_for_receipt(receipt_token=receipt_token) or _prepaid_for_receipt(
        receipt_token=receipt_token
    )
    if order is None:
        raise Http404
    return order


def _prepaid_for_receipt(**lookup: Any) -> Any:
    from mendian.sales.models import PrepaidSale

    return (
        PrepaidSale.objects.select_related("store", "register", "cashier__staff", "member")
        .prefetch_related("tenders")
        .filter(**lookup)
        .first()
    )


def _receipt_of(document: Any, *, receipt_url: str, is_reprint: bool = False) -> Receipt:
    from mendian.sales.models import PrepaidSale

    if isinstance(document, PrepaidSale):
        return receipt_from_prepaid(
            document,
            member_label="****" + document.member.card_no[-4:],
            receipt_url=receipt_url,
            is_reprint=is_reprint,
        )
    return receipt_from_order(document, receipt_url=receipt_url, is_reprint=is_reprint)


def receipt_page(request: HttpRequest, receipt_token: str) -> HttpResponse:
    """The public e-receipt: anyone holding the unguessable link may read it, nobody else finds it."""
    order = _receipt_order(receipt_token)
    receipt = _receipt_of(
        order, receipt_url=request.build_absolute_uri(), is_reprint=request.GET.get("reprint") == "1"
    )
    paper_mm = 58 if request.GET.get("paper") == "58" else 80
    context = {
        "receipt": receipt,
        "order": order,
        "auto_print": request.GET.get("print") == "1",
        "paper_mm": paper_mm,
    }
    response = render(request, "sales/receipt.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def receipt_pdf_view(request: HttpRequest, receipt_token: str) -> HttpResponse:
    """The e-receipt as a PDF to keep (for an expense claim, say): the same receipt, the same token."""
    order = _receipt_order(receipt_token)
    receipt_url = request.build_absolute_uri(reverse("sales:receipt", args=[receipt_token]))
    receipt = _receipt_of(order, receipt_url=receipt_url)
    paper_mm = 58 if request.GET.get("paper") == "58" else 80
    response = HttpResponse(receipt_pdf(receipt, paper_width_mm=paper_mm), content_type="application/pdf")
    # Order numbers are ASCII (register code, date, sequence); anything else is kept out of the header.
    filename = re.sub(r"[^A-Za-z0-9_-]", "_", order.number)
    response["Content-Disposition"] = f'inline; filename="receipt-{filename}.pdf"'
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def receipt_qr(request: HttpRequest, receipt_token: str) -> HttpResponse:
    """The e-receipt link as a QR code (SVG), for the receipt page and the customer display."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    if not RECEIPT_TOKEN_PATTERN.match(receipt_token):
        raise Http404
    from mendian.sales.models import PrepaidSale

    if not (
        _order_model().objects.filter(receipt_token=receipt_token).exists()
        or PrepaidSale.objects.filter(receipt_token=receipt_token).exists()
    ):
        raise Http404
    url = request.build_absolute_uri(reverse("sales:receipt", args=[receipt_token]))
    image = qrcode.make(url, image_factory=SvgPathImage, box_size=10, border=2)
    response = HttpResponse(image.to_string(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _api_user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user


@require_POST
def receipt_print_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Send an order's receipt to the register's printer; `{"reprint": true}` marks it 重印 and is audited."""
    user = _api_user(request)
    if user is None:
        return error_response(401, "unauthenticated", _("Sign in first."))
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return error_response(400, "malformed_json", _("The request body is not valid JSON."))
    is_reprint = bool(body.get("reprint")) if isinstance(body, dict) else False
    try:
        permission_check(user, "sales.view_order")
        order_model = _order_model()
        visible = (
            scope_to_stores(order_model.objects.all(), user).filter(pk=order_id).values_list("pk", flat=True)
        )
        order = _order_for_receipt(pk__in=visible)
        if order is None:
            return error_response(404, "not_found", _("Not found."))
        register = getattr(request, "mendian_register", None) or order.register
        if is_reprint:
            receipt_reprint_record(
                order=order, actor_id=user.pk, register_id=register.pk if register else None
            )
    except DomainError as error:
        return error_response(error.status, error.code, error.message, error.details)
    receipt_url = request.build_absolute_uri(reverse("sales:receipt", args=[order.receipt_token]))
    receipt = receipt_from_order(order, receipt_url=receipt_url, is_reprint=is_reprint)
    printer_url = register.printer_url if register is not None else ""
    result = receipt_print(
        receipt=receipt, printer_url=printer_url, paper_width_mm=register.paper_width_mm if register else 80
    )
    return JsonResponse(
        {
            "printed": result.printed,
            "has_printer": bool(printer_url),
            "error": result.error,
            "receipt_url": receipt_url,
            "is_reprint": is_reprint,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_POST
def return_print_view(request: HttpRequest, return_id: int) -> HttpResponse:
    """Print the refund slip of a return on the register's printer; a cash refund opens the drawer."""
    from mendian.sales.models import Return

    user = _api_user(request)
    if user is None:
        return error_response(401, "unauthenticated", _("Sign in first."))
    try:
        permission_check(user, "sales.view_return")
    except DomainError as error:
        return error_response(error.status, error.code, error.message, error.details)
    ret = (
        scope_to_stores(Return.objects.all(), user)
        .select_related("store", "register", "order", "cashier__staff")
        .prefetch_related("lines", "tenders")
        .filter(pk=return_id)
        .first()
    )
    if ret is None:
        return error_response(404, "not_found", _("Not found."))
    register = getattr(request, "mendian_register", None) or ret.register
    result = receipt_print(
        receipt=receipt_from_return(ret),
        printer_url=register.printer_url,
        paper_width_mm=register.paper_width_mm,
    )
    return JsonResponse(
        {"printed": result.printed, "has_printer": bool(register.printer_url), "error": result.error},
        json_dumps_params={"ensure_ascii": False},
    )


@require_POST
def prepaid_print_view(request: HttpRequest, sale_id: int) -> HttpResponse:
    """Print the receipt of a stored value or card sale (or refund) on the register's printer."""
    from mendian.sales.models import PrepaidSale

    user = _api_user(request)
    if user is None:
        return error_response(401, "unauthenticated", _("Sign in first."))
    try:
        permission_check(user, "sales.view_prepaidsale")
    except DomainError as error:
        return error_response(error.status, error.code, error.message, error.details)
    visible = scope_to_stores(PrepaidSale.objects.all(), user).filter(pk=sale_id).values_list("pk", flat=True)
    sale = _prepaid_for_receipt(pk__in=visible)
    if sale is None:
        return error_response(404, "not_found", _("Not found."))
    register = getattr(request, "mendian_register", None) or sale.register
    receipt_url = request.build_absolute_uri(reverse("sales:receipt", args=[sale.receipt_token]))
    result = receipt_print(
        receipt=_receipt_of(sale, receipt_url=receipt_url),
        printer_url=register.printer_url,
        paper_width_mm=register.paper_width_mm,
    )
    return JsonResponse(
        {
            "printed": result.printed,
            "has_printer": bool(register.printer_url),
            "error": result.error,
            "receipt_url": receipt_url,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_POST
def drawer_open_view(request: HttpRequest) -> HttpResponse:
    """Kick the drawer of the till this token signed in at, after the till recorded the no-sale."""
    user = _api_user(request)
    register = getattr(request, "mendian_register", None)
    if user is None or register is None:
        return error_response(401, "unauthenticated", _("Sign in first."))
    try:
        permission_check(user, "sales.add_cashdrawerentry")
    except DomainError as error:
        return error_response(error.status, error.code, error.message, error.details)
    result = drawer_open(printer_url=register.printer_url)
    return JsonResponse(
        {"opened": result.printed, "has_printer": bool(register.printer_url), "error": result.error},
        json_dumps_params={"ensure_ascii": False},
    )


def _receipt_token_from(text: str) -> str | None:
    match = re.search(r"/r/([A-Za-z0-9_-]{8,64})/?", text)
    if match:
        return match.group(1)
    return text if RECEIPT_TOKEN_PATTERN.match(text) else None


@require_GET
def order_find(request: HttpRequest) -> HttpResponse:
    """Find an order for a return by its number, its receipt code or a scanned e-receipt link."""
    user = _api_user(request)
    if user is None:
        return error_response(401, "unauthenticated", _("Sign in first."))
    query = (request.GET.get("q") or "").strip()[:300]
    if not query:
        return error_response(422, "validation_error", _("Some fields are missing or invalid."))
    try:
        permission_check(user, "sales.view_order")
    except DomainError as error:
        return error_response(error.status, error.code, error.message, error.details)
    orders = scope_to_stores(_order_model().objects.all(), user)
    order_id = orders.filter(number=query).values_list("pk", flat=True).first()
    token = _receipt_token_from(query)
    if order_id is None and token is not None:
        order_id = orders.filter(receipt_token=token).values_list("pk", flat=True).first()
    if order_id is None:
        return error_response(404, "not_found", _("No order has this number or receipt code."))
    return JsonResponse({"id": order_id})
