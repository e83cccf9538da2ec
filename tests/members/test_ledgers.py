"""Points, stored value, count cards and paid cards through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db.models import Sum
from django.utils import timezone

from mendian.catalog.models import SKU, Category, Product
from mendian.members import services
from mendian.members.errors import (
    CountCardUnavailable,
    MembershipInvalid,
    PointsInsufficient,
    PointsRedeemCapExceeded,
    WalletInsufficient,
    WalletLimitExceeded,
    WalletVerificationRequired,
)
from mendian.members.models import (
    CountCardPlan,
    LoyaltyProgram,
    Member,
    MembershipPlan,
    PointsAccount,
    PointsCategoryRule,
    PointsEntry,
    ReferralReward,
    Tier,
    TopUpPlan,
    WalletAccount,
    WalletEntry,
)
from mendian.members.selectors import program_get
from mendian.members.services import EarnLine

pytestmark = pytest.mark.django_db


def points_of(member: Member) -> int:
    return PointsAccount.objects.get(member=member).balance


def ledger_sum(member: Member) -> int:
    return PointsEntry.objects.filter(account__member=member).aggregate(s=Sum("points"))["s"] or 0


def wallet_of(member: Member) -> tuple[int, int]:
    account = WalletAccount.objects.get(member=member)
    return account.principal_fen, account.bonus_fen


# ------------------------------------------------------------------ points


def test_earn_applies_points_per_yuan_category_rules_and_excludes_the_points_paid_part(
    member: Member,
) -> None:
    # Given 1 point per yuan, tobacco excluded and drinks doubled
    tobacco = Category.objects.create(code="TOB", name="烟草")
    drinks = Category.objects.create(code="DRK", name="饮料")
    PointsCategoryRule.objects.create(category=tobacco, multiplier_bp=0)
    PointsCategoryRule.objects.create(category=drinks, multiplier_bp=20000)
    lines = [EarnLine(5000, tobacco.pk), EarnLine(3000, drinks.pk), EarnLine(2000, None)]
    # When the order of ¥100 is completed
    entry = services.points_earn_for_order(member=member, lines=lines, order_id="o1", store_id=None)
    # Then tobacco earns nothing, drinks 2×30, the rest 20
    assert entry is not None and entry.points == 80
    assert points_of(member) == 80 == ledger_sum(member)
    # And a repeat of the same order earns nothing more
    assert services.points_earn_for_order(member=member, lines=lines, order_id="o1", store_id=None) == entry
    assert points_of(member) == 80


def test_tier_multiplier_and_points_paid_share_earn_nothing(member: Member, tiers: dict[str, Tier]) -> None:
    Member.objects.filter(pk=member.pk).update(tier=tiers["silver"])
    member.refresh_from_db()
    entry = services.points_earn_for_order(
        member=member, lines=[EarnLine(10000)], order_id="o1", store_id=None, excluded_fen=2000
    )
    # ¥80 paid in money × 1.5
    assert entry is not None and entry.points == 120


def test_redeem_takes_oldest_expiring_lots_first_and_respects_the_cap(member: Member) -> None:
    services.points_adjust(member=member, points=300, reason="开卡礼", actor_id=None)
    old_lot = PointsEntry.objects.get(account__member=member)
    PointsEntry.objects.filter(pk=old_lot.pk).update(expires_at=timezone.now() + dt.timedelta(days=10))
    services.points_earn_for_order(member=member, lines=[EarnLine(50000)], order_id="o1", store_id=None)
    # When ¥4 (400 points at 100 points per yuan) pays part of a ¥10 order (cap 50 %)
    entry = services.points_redeem_for_order(
        member=member, amount_fen=400, order_total_fen=1000, order_id="o2"
    )
    assert entry.points == -400
    # Then the soon-expiring lot is used up first
    assert PointsEntry.objects.get(pk=old_lot.pk).remaining == 0
    assert points_of(member) == 400 == ledger_sum(member)
    # And more than half of an order is refused, writing nothing
    with pytest.raises(PointsRedeemCapExceeded):
        services.points_redeem_for_order(member=member, amount_fen=600, order_total_fen=1000, order_id="o3")
    with pytest.raises(PointsInsufficient):
        services.points_redeem_for_order(member=member, amount_fen=500, order_total_fen=100000, order_id="o4")
    assert points_of(member) == 400
    assert PointsEntry.objects.filter(account__member=member).count() == 3


def test_partial_returns_reverse_exactly_what_the_order_earned(member: Member) -> None:
    services.points_earn_for_order(member=member, lines=[EarnLine(3333)], order_id="o1", store_id=None)
    assert points_of(member) == 33
    first = services.points_reverse_for_return(member=member, order_id="o1", return_id="r1", refund_fen=1111)
    second = services.points_reverse_for_return(member=member, order_id="o1", return_id="r2", refund_fen=1111)
    third = services.points_reverse_for_return(member=member, order_id="o1", return_id="r3", refund_fen=1111)
    assert first.points_reversed + second.points_reversed + third.points_reversed == 33
    assert points_of(member) == 0 == ledger_sum(member)
    # A repeat of a return changes nothing
    assert (
        services.points_reverse_for_return(member=member, order_id="o1", return_id="r3", refund_fen=1111)
        == third
    )
    assert points_of(member) == 0


def test_reversal_of_spent_points_never_goes_negative_and_returns_the_value_shortfall(member: Member) -> None:
    # Given an order earned 500 points and 400 of them were spent since
    services.points_earn_for_order(member=member, lines=[EarnLine(50000)], order_id="o1", store_id=None)
    services.points_redeem_for_order(member=member, amount_fen=400, order_total_fen=1000, order_id="o2")
    # When the first order is fully returned
    reversal = services.points_reverse_for_return(
        member=member, order_id="o1", return_id="r1", refund_fen=50000
    )
    # Then the 100 left are taken and the 400 missing points (¥4) come off the refund
    assert reversal == services.PointsReversal(points_reversed=100, shortfall_points=400, shortfall_fen=400)
    assert points_of(member) == 0 == ledger_sum(member)


def test_refund_of_a_points_tender_gives_the_points_back(member: Member) -> None:
    services.points_adjust(member=member, points=1000, reason="活动", actor_id=None)
    services.points_redeem_for_order(member=member, amount_fen=1000, order_total_fen=5000, order_id="o1")
    services.points_redeem_refund(member=member, order_id="o1", return_id="r1", amount_fen=333)
    services.points_redeem_refund(member=member, order_id="o1", return_id="r2", amount_fen=667)
    assert points_of(member) == 1000 == ledger_sum(member)


def test_expiry_job_expires_unused_points_of_lots_past_their_date(member: Member) -> None:
    services.points_adjust(member=member, points=100, reason="a", actor_id=None)
    services.points_adjust(member=member, points=50, reason="b", actor_id=None)
    services.points_redeem_for_order(member=member, amount_fen=30, order_total_fen=1000, order_id="o1")
    first_lot = PointsEntry.objects.filter(account__member=member, kind="adjust").order_by("id").first()
    assert first_lot is not None
    PointsEntry.objects.filter(pk=first_lot.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.points_expire_due() == 70
    assert points_of(member) == 50 == ledger_sum(member)
    assert services.points_expire_due() == 0


# ------------------------------------------------------------------ stored value


def test_top_up_plan_keeps_principal_and_bonus_apart_and_spends_principal_first(member: Member) -> None:
    plan = TopUpPlan.objects.create(name="充100送20", amount_fen=10000, bonus_fen=2000)
    services.wallet_top_up(member=member, plan=plan, payment_method="cash", client_top_up_id="t1")
    services.wallet_top_up(member=member, plan=plan, payment_method="cash", client_top_up_id="t1")  # repeat
    assert wallet_of(member) == (10000, 2000)
    entry = services.wallet_debit(
        member=member, amount_fen=11000, order_id="o1", member_code=services.member_code_issue(member=member)
    )
    assert (entry.principal_fen, entry.bonus_fen) == (-10000, -1000)
    assert wallet_of(member) == (0, 1000)
    # A refund goes back to the card in the spend's proportion
    services.wallet_refund_to_card(member=member, order_id="o1", return_id="r1", amount_fen=5500)
    services.wallet_refund_to_card(member=member, order_id="o1", return_id="r2", amount_fen=5500)
    assert wallet_of(member) == (10000, 2000)
    with pytest.raises(WalletInsufficient):
        services.wallet_refund_to_card(member=member, order_id="o1", return_id="r3", amount_fen=1)


def test_bonus_first_order_is_configurable(member: Member) -> None:
    LoyaltyProgram.objects.update_or_create(pk=1, defaults={"wallet_spend_order": "bonus_first"})
    services.wallet_top_up(member=member, amount_fen=10000, bonus_fen=2000, payment_method="cash")
    services.wallet_debit(member=member, amount_fen=5000, order_id="o1")
    assert wallet_of(member) == (7000, 0)


def test_spend_above_balance_or_threshold_without_live_code_is_refused(member: Member) -> None:
    services.wallet_top_up(member=member, amount_fen=30000, payment_method="cash")
    with pytest.raises(WalletInsufficient):
        services.wallet_debit(
            member=member,
            amount_fen=30001,
            order_id="o1",
            member_code=services.member_code_issue(member=member),
        )
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(member=member, amount_fen=25000, order_id="o1", member_code=member.card_no)
    assert wallet_of(member) == (30000, 0)
    assert WalletEntry.objects.filter(account__member=member).count() == 1


def test_named_card_limit_is_data_and_refuses_top_ups_above_it(member: Member) -> None:
    assert program_get().wallet_max_balance_fen == 500_000
    services.wallet_top_up(member=member, amount_fen=450_000, bonus_fen=50_000, payment_method="cash")
    with pytest.raises(WalletLimitExceeded):
        services.wallet_top_up(member=member, amount_fen=1, payment_method="cash")
    assert wallet_of(member) == (450_000, 50_000)


def test_refund_of_stored_value_returns_principal_only_and_is_audited(member: Member) -> None:
    from mendian.core.models import AuditEntry

    services.wallet_top_up(member=member, amount_fen=10000, bonus_fen=2000, payment_method="cash")
    services.wallet_debit(member=member, amount_fen=3000, order_id="o1")
    refunded = services.wallet_close_refund(member=member, reason="客户退卡", actor_id=None)
    assert refunded is not None and (refunded.principal_fen, refunded.bonus_fen) == (-7000, -2000)
    assert wallet_of(member) == (0, 0)
    assert AuditEntry.objects.filter(action="member.wallet_refund", object_id=str(member.pk)).count() == 1


# ------------------------------------------------------------------ count cards and paid cards


@pytest.fixture
def service_sku(db: None) -> SKU:
    product = Product.objects.create(code="SV1", name="洗剪吹", kind=Product.Kind.SERVICE)
    return SKU.objects.create(product=product, code="SV1-1", retail_price_fen=8000)


def test_count_card_redeems_one_use_at_a_time_and_refunds_unused_pro_rata(
    member: Member, service_sku: SKU, chain: object
) -> None:
    plan = CountCardPlan.objects.create(name="洗剪吹10次", uses_qty=10, price_fen=50000)
    plan.skus.add(service_sku)
    plan.stores.add(chain.store_a)  # type: ignore[attr-defined]
    card = services.count_card_sell(member=member, plan=plan, store_id=chain.store_a.pk)  # type: ignore[attr-defined]
    live_code = services.member_code_issue(member=member)
    for _ in range(3):
        services.count_card_redeem(
            card_id=card.pk, member_code=live_code, sku_id=service_sku.pk, store_id=chain.store_a.pk
        )  # type: ignore[attr-defined]
    with pytest.raises(CountCardUnavailable) as wrong_store:
        services.count_card_redeem(
            card_id=card.pk, member_code=live_code, sku_id=service_sku.pk, store_id=chain.store_b.pk
        )  # type: ignore[attr-defined]
    assert wrong_store.value.code == "count_card_wrong_store"
    card.refresh_from_db()
    assert card.uses_left == 7
    assert services.count_card_refund(card_id=card.pk, member=member, actor_id=None).value_fen == 35000
    card.refresh_from_db()
    assert (card.uses_left, card.status) == (0, "refunded")


def test_paid_card_grants_its_tier_renews_and_upgrades_for_the_difference(
    member: Member, tiers: dict[str, Tier]
) -> None:
    platinum = Tier.objects.create(
        code="plat", name="白金", rank=30, rule=Tier.Rule.PAID_CARD, discount_bp=1500
    )
    gold_plan = MembershipPlan.objects.create(
        name="金卡年卡", tier=tiers["gold"], price_fen=9900, validity_days=365
    )
    plat_plan = MembershipPlan.objects.create(
        name="白金年卡", tier=platinum, price_fen=19900, validity_days=365
    )
    services.membership_buy(member=member, plan=gold_plan, payment_method="cash")
    member.refresh_from_db()
    assert member.tier == tiers["gold"]
    with pytest.raises(MembershipInvalid):
        services.membership_buy(member=member, plan=gold_plan, payment_method="cash")
    card = member.membership_card
    first_end = card.expires_at
    services.membership_renew(member=member, payment_method="cash")
    card.refresh_from_db()
    assert card.expires_at == first_end + dt.timedelta(days=365)
    payment = services.membership_upgrade(member=member, plan=plat_plan, payment_method="cash")
    assert payment.amount_fen == 10000
    member.refresh_from_db()
    assert member.tier == platinum


def test_spend_upgrades_at_once_and_the_daily_review_downgrades_with_a_notice(
    make_member: Callable[..., Member], tiers: dict[str, Tier]
) -> None:
    from mendian.core.models import OutboxMessage

    member = make_member()
    assert member.tier == tiers["normal"]
    services.points_earn_for_order(member=member, lines=[EarnLine(100_000)], order_id="o1", store_id=None)
    member.refresh_from_db()
    assert member.tier == tiers["silver"]
    services.points_reverse_for_return(member=member, order_id="o1", return_id="r1", refund_fen=100_000)
    member.refresh_from_db()
    assert member.tier == tiers["silver"]  # no downgrade until the job runs
    assert services.tiers_review() == 1
    member.refresh_from_db()
    assert member.tier == tiers["normal"]
    notice = OutboxMessage.objects.filter(topic="members.sms", payload__template="tier_changed").last()
    assert notice is not None and notice.payload["reason"] == "downgrade"


def test_referral_rewards_both_once_per_new_phone(make_member: Callable[..., Member]) -> None:
    referrer = make_member()
    friend = make_member(referral_code=referrer.referral_code, channel=Member.Channel.SELF_SERVICE)
    assert friend.referred_by_id == referrer.pk and friend.channel == Member.Channel.REFERRAL
    services.points_earn_for_order(member=friend, lines=[EarnLine(100)], order_id="o1", store_id=None)
    services.points_earn_for_order(member=friend, lines=[EarnLine(100)], order_id="o2", store_id=None)
    assert points_of(referrer) == 100
    assert points_of(friend) == 100 + 1 + 1
    assert ReferralReward.objects.count() == 1
