"""API of the members app (mounted at /api/v1/members/): till registration and look-up, member codes,
ledgers, count cards, the plans sold at the till (sold through sales' prepaid documents), import and export."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Router, Status
from ninja.files import UploadedFile

from mendian.core.services import audit_record
from mendian.members import member_import, selectors, services
from mendian.members.errors import CountCardUnavailable, ImportFileInvalid, MemberNotFound
from mendian.members.models import CountCard, CountCardPlan, Member, MembershipCard, MembershipPlan, TopUpPlan
from mendian.members.schemas import (
    CountCardOut,
    CountCardPlanOut,
    CountCardRedeemIn,
    ImportReportOut,
    MemberOut,
    MemberProfileOut,
    MemberRegisterIn,
    MembershipCardOut,
    MembershipPlanOut,
    MemberUpdateIn,
    PointsAdjustIn,
    PointsEntryOut,
    ResolveCodeIn,
    ResolvedMemberOut,
    TopUpPlanOut,
    WalletEntryOut,
    WalletSmsCodeIn,
)
from mendian.stores.selectors import permission_check, store_access_check

router = Router(tags=["members"])
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _store_id(request: HttpRequest, store_id: int | None) -> int | None:
    register = getattr(request, "mendian_register", None)
    if register is not None:
        return register.store_id  # type: ignore[no-any-return]
    if store_id is not None:
        store_access_check(request.user, store_id)
    return store_id


def _out(request: HttpRequest, member: Member) -> dict[str, Any]:
    data = selectors.member_out(member, request.user)
    if request.user.has_perm(selectors.PHONE_PERMISSION):
        # Full phone numbers are personal data: every view of one is logged (PIPL).
        audit_record(action="member.view_phone", obj=member)
    return data


@router.post("/", response={201: MemberOut}, summary="Register a member at the till by phone")
def member_register(request: HttpRequest, payload: MemberRegisterIn) -> Status:
    permission_check(request.user, "members.add_member")
    member = services.member_register(
        phone=payload.phone,
        channel=Member.Channel.TILL,
        store_id=_store_id(request, payload.store_id),
        name=payload.name,
        gender=payload.gender,
        birthday=payload.birthday,
        region=payload.region,
        marketing_consent=payload.marketing_consent,
        referral_code=payload.referral_code,
        actor_id=request.user.pk,
    )
    return Status(201, _out(request, selectors.member_get(member.pk)))


@router.get("/", response=list[MemberOut], summary="Find members by phone, last four digits or card number")
def member_search(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    permission_check(request.user, "members.view_member")
    return [selectors.member_out(member, request.user) for member in selectors.members_search(q)]


@router.post("/resolve-code", response=ResolvedMemberOut, summary="The member behind a scanned code")
def member_resolve_code(request: HttpRequest, payload: ResolveCodeIn) -> dict[str, Any]:
    permission_check(request.user, "members.view_member")
    member, live = services.member_code_resolve(code=payload.code)
    program = selectors.program_get()
    return {
        **selectors.member_out(member, request.user),
        "live_code": live,
        "points_per_yuan_redeemed": program.points_per_yuan_redeemed,
        "points_redeem_cap_bp": program.points_redeem_cap_bp,
        "wallet_code_required_above_fen": program.wallet_code_required_above_fen,
    }


@router.get("/top-up-plans", response=list[TopUpPlanOut], summary="Top-up offers")
def top_up_plans(request: HttpRequest) -> list[TopUpPlan]:
    permission_check(request.user, "members.view_member")
    return list(TopUpPlan.objects.filter(is_active=True))


@router.get("/count-card-plans", response=list[CountCardPlanOut], summary="Count cards for sale")
def count_card_plans(request: HttpRequest) -> list[CountCardPlan]:
    permission_check(request.user, "members.view_member")
    return list(CountCardPlan.objects.filter(is_active=True).order_by("price_fen", "id"))


@router.get("/membership-plans", response=list[MembershipPlanOut], summary="Paid membership cards for sale")
def membership_plans(request: HttpRequest) -> list[dict[str, Any]]:
    permission_check(request.user, "members.view_member")
    plans = MembershipPlan.objects.filter(is_active=True).select_related("tier").order_by("price_fen", "id")
    return [
        {
            "id": plan.pk,
            "name": plan.name,
            "price_fen": plan.price_fen,
            "validity_days": plan.validity_days,
            "tier_name": plan.tier.name,
            "tier_rank": plan.tier.rank,
        }
        for plan in plans
    ]


@router.get("/export", summary="Export members as CSV (needs members.export_member; audited)")
def member_export(request: HttpRequest, store_id: int | None = None) -> HttpResponse:
    permission_check(request.user, "members.export_member")
    if store_id is not None:
        store_access_check(request.user, store_id)
    content = services.members_export(user=request.user, store_id=store_id)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="members-{timezone.localdate():%Y%m%d}.csv"'
    return response


@router.post("/import", response=ImportReportOut, summary="Import members from CSV or XLSX")
def member_import_file(
    request: HttpRequest, file: File[UploadedFile], store_id: int | None = None
) -> dict[str, Any]:
    permission_check(request.user, "members.add_member")
    permission_check(request.user, "members.change_member")
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise ImportFileInvalid(details={"max_bytes": MAX_IMPORT_BYTES})
    rows = member_import.rows_from_upload(filename=file.name or "", content=file.read())
    report = services.members_import(
        rows=rows, store_id=_store_id(request, store_id), actor_id=request.user.pk
    )
    return {"created": report.created, "duplicates": report.duplicates, "errors": report.errors}


@router.post(
    "/count-cards/{card_id}/redeem",
    response=CountCardOut,
    summary="Use one service with the member's live code or an SMS code (never the card number)",
)
def count_card_redeem(request: HttpRequest, card_id: int, payload: CountCardRedeemIn) -> dict[str, Any]:
    permission_check(request.user, "members.add_countcardentry")
    store_id = _store_id(request, None)
    if store_id is None:
        raise MemberNotFound(code="register_required")
    services.count_card_redeem(
        card_id=card_id,
        member_code=payload.code,
        sku_id=payload.sku_id,
        store_id=store_id,
        actor_id=request.user.pk,
    )
    return _card_out(CountCard.objects.select_related("plan").get(pk=card_id))


@router.post(
    "/count-cards/{card_id}/sms-code",
    response={202: None},
    summary="Text the card's member a one-time code that confirms using the count card",
)
def count_card_sms_code(request: HttpRequest, card_id: int) -> Status:
    permission_check(request.user, "members.add_countcardentry")
    card = CountCard.objects.select_related("member").filter(pk=card_id).first()
    if card is None:
        raise CountCardUnavailable(code="count_card_not_found")
    services.count_card_sms_code_request(member=card.member)
    return Status(202, None)


@router.get("/{member_id}", response=MemberOut, summary="One member")
def member_detail(request: HttpRequest, member_id: int) -> dict[str, Any]:
    permission_check(request.user, "members.view_member")
    return _out(request, selectors.member_get(member_id))


@router.patch("/{member_id}", response=MemberOut, summary="Change a member's profile")
def member_update(request: HttpRequest, member_id: int, payload: MemberUpdateIn) -> dict[str, Any]:
    permission_check(request.user, "members.change_member")
    member = selectors.member_get(member_id)
    changes = payload.dict(exclude_unset=True)
    if changes:
        services.member_update(member=member, actor_id=request.user.pk, **changes)
    return _out(request, selectors.member_get(member_id))


@router.get(
    "/{member_id}/profile",
    response=MemberProfileOut,
    summary="Back-office profile: history, favourite categories, RFM scores, tags, ledgers",
)
def member_profile(request: HttpRequest, member_id: int) -> dict[str, Any]:
    permission_check(request.user, "members.view_member")
    member = selectors.member_get(member_id)
    if request.user.has_perm(selectors.PHONE_PERMISSION):
        audit_record(action="member.view_phone", obj=member)
    return selectors.member_profile(member, request.user)


@router.get("/{member_id}/points", response=list[PointsEntryOut], summary="Points history")
def member_points(request: HttpRequest, member_id: int) -> list[dict[str, Any]]:
    permission_check(request.user, "members.view_member")
    return selectors.points_history(selectors.member_get(member_id))


@router.post("/{member_id}/points/adjust", response=PointsEntryOut, summary="Adjust points by hand (audited)")
def member_points_adjust(request: HttpRequest, member_id: int, payload: PointsAdjustIn) -> Any:
    permission_check(request.user, "members.adjust_balance")
    return services.points_adjust(
        member=selectors.member_get(member_id),
        points=payload.points,
        reason=payload.reason,
        actor_id=request.user.pk,
        store_id=_store_id(request, None),
    )


@router.get("/{member_id}/wallet", response=list[WalletEntryOut], summary="Stored value history")
def member_wallet(request: HttpRequest, member_id: int) -> list[dict[str, Any]]:
    permission_check(request.user, "members.view_member")
    return selectors.wallet_history(selectors.member_get(member_id))


@router.post(
    "/{member_id}/wallet/sms-code",
    response={202: dict[str, int]},
    summary="Text the member a one-time code that confirms paying one sale with points or stored value",
)
def member_wallet_sms_code(request: HttpRequest, member_id: int, payload: WalletSmsCodeIn) -> Status:
    permission_check(request.user, "members.view_member")
    services.wallet_sms_code_request(
        member=selectors.member_get(member_id),
        amount_fen=payload.amount_fen,
        client_order_id=str(payload.client_order_id),
    )
    return Status(202, {"amount_fen": payload.amount_fen})


@router.get(
    "/{member_id}/membership-card",
    response={200: MembershipCardOut, 204: None},
    summary="A member's paid membership card (204 when they hold none)",
)
def member_membership_card(request: HttpRequest, member_id: int) -> Status:
    permission_check(request.user, "members.view_member")
    card = (
        MembershipCard.objects.filter(member=selectors.member_get(member_id))
        .select_related("plan__tier")
        .first()
    )
    if card is None:
        return Status(204, None)
    return Status(
        200,
        {
            "plan_id": card.plan_id,
            "plan_name": card.plan.name,
            "tier_rank": card.plan.tier.rank,
            "price_fen": card.plan.price_fen,
            "starts_at": card.starts_at,
            "expires_at": card.expires_at,
            "is_valid": card.expires_at > timezone.now(),
        },
    )


@router.get("/{member_id}/count-cards", response=list[CountCardOut], summary="A member's count cards")
def member_count_cards(request: HttpRequest, member_id: int) -> list[dict[str, Any]]:
    permission_check(request.user, "members.view_member")
    cards = CountCard.objects.filter(member_id=member_id).select_related("plan").order_by("-id")
    return [_card_out(card) for card in cards]


def _card_out(card: CountCard) -> dict[str, Any]:
    return {
        "id": card.pk,
        "plan_id": card.plan_id,
        "plan_name": card.plan.name,
        "uses_total": card.uses_total,
        "uses_left": card.uses_left,
        "expires_at": card.expires_at,
        "status": card.status,
    }
