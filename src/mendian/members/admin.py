"""Back office for members: profiles with masked phones and read-only ledgers, tiers and rules.

Balances never change here by editing a number: ledgers are read-only, and adjustments go through the
API's audited service (members.adjust_balance)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from mendian.members import crypto, selectors
from mendian.members.models import (
    CountCard,
    CountCardPlan,
    LoyaltyProgram,
    Member,
    MembershipPlan,
    PointsCategoryRule,
    PointsEntry,
    Tier,
    TopUpPlan,
    WalletEntry,
)


@admin.register(Member)
class MemberAdmin(ModelAdmin):
    """Members belong to the chain (a customer shops in every store); the registering store is a filter."""

    list_display = ["card_no", "name", "masked_phone", "tier", "registered_store", "channel", "created_at"]
    list_filter = ["tier", "channel", "registered_store", "marketing_consent", "is_active"]
    search_fields = ["card_no", "name", "phone_last4", "referral_code"]
    fields = [
        "card_no",
        "masked_phone",
        "name",
        "gender",
        "region",
        "registered_store",
        "channel",
        "tier",
        "tier_since",
        "marketing_consent",
        "marketing_consent_at",
        "tags",
        "notes",
        "referral_code",
        "referred_by",
        "first_purchase_at",
        "is_active",
        "balances",
        "profile",
    ]
    readonly_fields = [
        "card_no",
        "masked_phone",
        "registered_store",
        "channel",
        "tier",
        "tier_since",
        "marketing_consent",
        "marketing_consent_at",
        "referral_code",
        "referred_by",
        "first_purchase_at",
        "balances",
        "profile",
    ]

    @admin.display(description=_("profile"))
    def profile(self, obj: Member) -> str:
        """History, favourite categories, RFM scores, tags and the latest ledger entries (read-only)."""
        if obj.pk is None:
            return "-"
        return render_to_string(
            "members/admin/member_profile.html",
            {
                "profile": selectors.member_profile(obj, None),
                "point_kinds": dict(PointsEntry.Kind.choices),
                "wallet_kinds": dict(WalletEntry.Kind.choices),
            },
        )

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Member) -> str:
        # Always masked here; staff with members.view_member_phone see the number through the API,
        # where each view is audited.
        return crypto.phone_mask(selectors.member_phone(obj))

    @admin.display(description=_("balances"))
    def balances(self, obj: Member) -> str:
        balances = selectors.member_balances(obj)
        return _("%(points)s points · stored value %(principal)s + bonus %(bonus)s fen") % {
            "points": balances["points"],
            "principal": balances["wallet_principal_fen"],
            "bonus": balances["wallet_bonus_fen"],
        }

    def get_queryset(self, request: HttpRequest) -> QuerySet[Member]:
        return super().get_queryset(request).select_related("tier", "registered_store")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registration goes through the till, the member centre or an import

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "points",
        "balance_after",
        "remaining",
        "expires_at",
        "source_id",
    ]
    list_filter = ["kind"]
    search_fields = ["account__member__card_no", "source_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WalletEntry)
class WalletEntryAdmin(PointsEntryAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "principal_fen",
        "bonus_fen",
        "principal_after_fen",
        "bonus_after_fen",
        "store",
        "source_id",
    ]


@admin.register(CountCard)
class CountCardAdmin(PointsEntryAdmin):
    list_display = ["member", "plan", "uses_left", "uses_total", "expires_at", "status", "store"]
    list_filter = ["status", "plan"]
    search_fields = ["member__card_no"]


@admin.register(Tier)
class TierAdmin(ModelAdmin):
    list_display = [
        "rank",
        "code",
        "name",
        "rule",
        "threshold_fen",
        "threshold_points",
        "discount_bp",
        "is_active",
    ]
    ordering = ["rank"]


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(ModelAdmin):
    list_display = [
        "__str__",
        "points_per_yuan",
        "points_per_yuan_redeemed",
        "wallet_max_balance_fen",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not LoyaltyProgram.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TopUpPlan)
class TopUpPlanAdmin(ModelAdmin):
    list_display = ["name", "amount_fen", "bonus_fen", "is_active"]


@admin.register(CountCardPlan)
class CountCardPlanAdmin(ModelAdmin):
    list_display = ["name", "uses_qty", "price_fen", "validity_days", "is_active"]
    filter_horizontal = ["skus", "stores"]


@admin.register(MembershipPlan)
class MembershipPlanAdmin(ModelAdmin):
    list_display = ["name", "tier", "price_fen", "validity_days", "is_active"]


@admin.register(PointsCategoryRule)
class PointsCategoryRuleAdmin(ModelAdmin):
    list_display = ["category", "multiplier_bp"]
