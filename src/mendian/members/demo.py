"""Demo members: tiers, the program, top-up plans, a count-card plan, a paid card plan and a few members
with points and stored value. Everything goes through the real services; running it twice adds nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from mendian.catalog.models import SKU
from mendian.members import services
from mendian.members.models import CountCardPlan, Member, MembershipPlan, Tier, TopUpPlan
from mendian.members.selectors import member_by_phone, program_get
from mendian.stores.models import Store

TIERS = [
    # code, name, rank, rule, spend threshold (fen), discount bp, points multiplier bp
    ("normal", "普通会员", 0, Tier.Rule.NONE, 0, 0, 10000),
    ("silver", "银卡会员", 10, Tier.Rule.SPEND, 200_000, 300, 12000),
    ("gold", "金卡会员", 20, Tier.Rule.SPEND, 1_000_000, 500, 15000),
    ("plus", "PLUS付费会员", 30, Tier.Rule.PAID_CARD, 0, 800, 20000),
]
TOP_UPS = [("充100送10", 10_000, 1_000), ("充300送50", 30_000, 5_000), ("充1000送200", 100_000, 20_000)]
MEMBERS = [
    # phone, name, gender, birthday, marketing consent, points, top-up plan index or None
    ("13800138000", "林小满", "f", dt.date(1992, 3, 8), True, 1200, 1),
    ("13900139000", "周大川", "m", dt.date(1985, 11, 20), False, 300, None),
    ("13700137000", "陈思远", "m", dt.date(1999, 7, 1), True, 0, 0),
]


@transaction.atomic
def demo_members() -> list[str]:
    """Returns lines telling a person how to try the member centre."""
    program_get()
    tiers = {}
    for code, name, rank, rule, threshold, discount, multiplier in TIERS:
        tiers[code], _created = Tier.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "rank": rank, "rule": rule, "threshold_fen": threshold, "discount_bp": discount,
                "points_multiplier_bp": multiplier, "birthday_gift": "生日双倍积分" if rank else "",
            },
        )  # fmt: skip
    plans = [
        TopUpPlan.objects.get_or_create(name=name, defaults={"amount_fen": amount, "bonus_fen": bonus})[0]
        for name, amount, bonus in TOP_UPS
    ]
    MembershipPlan.objects.get_or_create(
        name="PLUS年卡", defaults={"tier": tiers["plus"], "price_fen": 19_900, "validity_days": 365}
    )
    service_skus = list(SKU.objects.filter(product__kind="service")[:2])
    if service_skus and not CountCardPlan.objects.exists():
        plan = CountCardPlan.objects.create(
            name="服务10次卡", uses_qty=10, price_fen=45_000, validity_days=365
        )
        plan.skus.set(service_skus)
    store = Store.objects.order_by("code").first()
    for phone, name, gender, birthday, consent, points, plan_index in MEMBERS:
        if member_by_phone(phone) is not None:
            continue
        member = services.member_register(
            phone=phone, name=name, gender=gender, birthday=birthday, marketing_consent=consent,
            store_id=store.pk if store else None,
        )  # fmt: skip
        if points:
            services.points_adjust(member=member, points=points, reason="演示数据", actor_id=None)
        if plan_index is not None:
            services.wallet_top_up(
                member=member, plan=plans[plan_index], payment_method="cash", client_top_up_id=f"demo-{phone}"
            )
    count = Member.objects.count()
    return [
        f"Member centre (phone): /m/  — {count} members; e.g. phone 13800138000, the SMS code is in the log "
        "and under Back office → console SMS outbox"
    ]
