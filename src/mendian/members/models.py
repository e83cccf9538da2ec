"""Members and their ledgers: points (with expiry lots), stored value (principal and bonus apart),
count cards, paid membership cards, tiers, referrals and SMS sign-in codes.

Every balance is a row changed only by services.py under a lock with a guarded update, backed by a
CheckConstraint; every change is an append-only entry whose sum equals the balance.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LoyaltyProgram(models.Model):
    """The merchant's loyalty and prepaid rules as data (one row). Limits from regulation carry the date
    and source of their default so they can be changed when the rule changes, without a release."""

    class WalletSpendOrder(models.TextChoices):
        PRINCIPAL_FIRST = "principal_first", _("principal first")
        BONUS_FIRST = "bonus_first", _("bonus first")
        PROPORTIONAL = "proportional", _("in proportion")

    points_per_yuan = models.PositiveIntegerField(_("points per yuan spent"), default=1)
    points_validity_days = models.PositiveIntegerField(_("points valid for (days)"), default=365)
    points_per_yuan_redeemed = models.PositiveIntegerField(
        _("points for one yuan off"), default=100, help_text=_("100 = 100 points pay ¥1.")
    )
    points_redeem_cap_bp = models.PositiveIntegerField(
        _("points may pay at most (basis points of the order)"), default=5000
    )
    wallet_max_balance_fen = models.BigIntegerField(
        _("stored value: highest balance of a named card (fen)"),
        default=500_000,
        help_text=_("MOFCOM Order 2012 No. 9 (amended 2016): named cards at most RMB 5,000."),
    )
    wallet_limit_effective_from = models.DateField(_("limit effective from"), default=dt.date(2016, 8, 18))
    wallet_spend_order = models.CharField(
        _("stored value spending order"),
        max_length=20,
        choices=WalletSpendOrder.choices,
        default=WalletSpendOrder.PRINCIPAL_FIRST,
    )
    wallet_code_required_above_fen = models.BigIntegerField(
        _("spending above this needs the member's live code or an SMS confirmation (fen)"), default=20_000
    )
    referral_reward_points = models.PositiveIntegerField(_("referral reward points (each side)"), default=100)
    member_code_ttl_seconds = models.PositiveIntegerField(_("member QR valid for (seconds)"), default=60)
    sms_code_ttl_seconds = models.PositiveIntegerField(_("SMS code valid for (seconds)"), default=300)
    sms_resend_seconds = models.PositiveIntegerField(_("seconds between SMS codes"), default=60)
    sms_daily_limit = models.PositiveIntegerField(_("SMS codes per phone per day"), default=10)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("loyalty program")
        verbose_name_plural = _("loyalty program")
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_yuan_redeemed__gt=0), name="program_redeem_rate_positive"
            ),
            models.CheckConstraint(
                condition=Q(points_redeem_cap_bp__lte=10000), name="program_redeem_cap_le_100"
            ),
            models.CheckConstraint(
                condition=Q(wallet_max_balance_fen__gte=0), name="program_wallet_max_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Loyalty program"))


class Tier(models.Model):
    """A member level. The highest-ranked tier whose rule a member meets is theirs; upgrades apply at
    once, downgrades by the daily job."""

    class Rule(models.TextChoices):
        NONE = "none", _("everyone (entry level)")
        SPEND = "spend", _("spend in a rolling window")
        POINTS = "points", _("points earned in a rolling window")
        PAID_CARD = "paid_card", _("holds a paid membership card")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("Higher is better."))
    rule = models.CharField(_("rule"), max_length=16, choices=Rule.choices, default=Rule.NONE)
    threshold_fen = models.BigIntegerField(_("spend threshold (fen)"), default=0)
    threshold_points = models.BigIntegerField(_("points threshold"), default=0)
    window_days = models.PositiveIntegerField(_("rolling window (days)"), default=365)
    discount_bp = models.PositiveIntegerField(
        _("discount (basis points)"), default=0, help_text=_("500 = 5 percent off")
    )
    points_multiplier_bp = models.PositiveIntegerField(_("points multiplier (basis points)"), default=10000)
    member_price_eligible = models.BooleanField(_("member prices apply"), default=True)
    birthday_gift = models.CharField(_("birthday gift"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=Q(discount_bp__lte=10000), name="tier_discount_le_100"),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A customer of the chain. The phone is stored encrypted, found by a keyed blind index (unique),
    and searched at the till by its last four digits; it is shown masked unless the staff member may
    see phone numbers."""

    class Gender(models.TextChoices):
        UNKNOWN = "", _("not given")
        FEMALE = "f", _("female")
        MALE = "m", _("male")

    class Channel(models.TextChoices):
        TILL = "till", _("at the till")
        SELF_SERVICE = "self_service", _("phone self-service")
        IMPORT = "import", _("import")
        REFERRAL = "referral", _("referral")
        RECEIPT = "receipt", _("receipt QR")

    card_no = models.CharField(_("card number"), max_length=20, unique=True)
    phone_encrypted = models.TextField(_("phone (encrypted)"))
    phone_index = models.CharField(_("phone blind index"), max_length=64, unique=True)
    phone_last4 = models.CharField(_("phone last four"), max_length=4, db_index=True)
    name = models.CharField(_("name"), max_length=50, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True, default="")
    birthday_encrypted = models.TextField(_("birthday (encrypted)"), blank=True)
    birthday_mmdd = models.CharField(
        _("birthday month-day"), max_length=4, blank=True, db_index=True, help_text=_("For greetings only.")
    )
    region = models.CharField(_("region"), max_length=100, blank=True)
    registered_store = models.ForeignKey(
        "stores.Store", verbose_name=_("registered at"), null=True, blank=True, on_delete=models.PROTECT
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.TILL)
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    notes = models.TextField(_("staff notes"), blank=True)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT)
    tier_since = models.DateTimeField(_("tier since"), null=True, blank=True)
    referral_code = models.CharField(_("referral code"), max_length=16, unique=True)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-id"]
        permissions = [
            ("view_member_phone", _("Can see members' full phone numbers")),
            ("export_member", _("Can export member data")),
            ("adjust_balance", _("Can adjust points and stored value by hand")),
        ]

    def __str__(self) -> str:
        return f"{self.name or '-'} {self.card_no}"


class PointsAccount(models.Model):
    """The points balance of one member; equals the sum of the member's PointsEntry rows."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="points_account")
    balance = models.BigIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.balance}"


class PointsEntry(models.Model):
    """One change of points, append-only. Positive entries are lots with an expiry and the points of
    the lot not yet used (`remaining`); negative entries consume lots oldest-expiring first."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earned on a purchase")
        EARN_REVERSAL = "earn_reversal", _("reversed by a return")
        REDEEM = "redeem", _("paid with points")
        REDEEM_REFUND = "redeem_refund", _("returned by a refund")
        EXPIRE = "expire", _("expired")
        ADJUST = "adjust", _("manual adjustment")
        REFERRAL = "referral", _("referral reward")

    account = models.ForeignKey(PointsAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    points = models.BigIntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    remaining = models.BigIntegerField(_("unused points of the lot"), default=0)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    value_fen = models.BigIntegerField(_("money value (fen)"), default=0)
    shortfall_points = models.BigIntegerField(
        _("points settled in money"),
        default=0,
        help_text=_("Reversal points the balance lacked; deducted from the refund."),
    )
    source_type = models.CharField(_("source type"), max_length=32, blank=True)
    source_id = models.CharField(_("source"), max_length=64, blank=True)
    related_id = models.CharField(_("related document"), max_length=64, blank=True)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.PROTECT)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "id"], name="points_lot_idx", condition=Q(remaining__gt=0)
            ),
            models.Index(fields=["source_type", "source_id"], name="points_source_idx"),
        ]
        constraints = [
            # A return that reverses or gives back no points is still written, with its refund:
            # later returns of the order reckon their share from the cumulative refund.
            models.CheckConstraint(
                condition=~Q(points=0)
                | Q(shortfall_points__gt=0)
                | Q(kind__in=["earn_reversal", "redeem_refund"]),
                name="points_entry_not_zero",
            ),
            models.CheckConstraint(
                condition=Q(shortfall_points__gte=0), name="points_entry_shortfall_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(remaining__gte=0)
                & (Q(points__lte=0, remaining=0) | Q(points__gt=0, remaining__lte=models.F("points"))),
                name="points_entry_remaining_within_lot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class WalletAccount(models.Model):
    """Stored value (储值) of one member: principal (money paid in) and bonus (赠送) kept apart."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="wallet_account")
    principal_fen = models.BigIntegerField(_("principal (fen)"), default=0)
    bonus_fen = models.BigIntegerField(_("bonus (fen)"), default=0)

    class Meta:
        verbose_name = _("stored value account")
        verbose_name_plural = _("stored value accounts")
        constraints = [
            models.CheckConstraint(condition=Q(principal_fen__gte=0), name="wallet_principal_not_negative"),
            models.CheckConstraint(condition=Q(bonus_fen__gte=0), name="wallet_bonus_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.principal_fen}+{self.bonus_fen}"

    @property
    def balance_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


class TopUpPlan(models.Model):
    """A top-up offer: pay `amount_fen`, get `bonus_fen` on top (充100送20)."""

    name = models.CharField(_("name"), max_length=50)
    amount_fen = models.BigIntegerField(_("pay (fen)"))
    bonus_fen = models.BigIntegerField(_("bonus (fen)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("top-up plan")
        verbose_name_plural = _("top-up plans")
        ordering = ["amount_fen"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="topup_plan_amount_positive"),
            models.CheckConstraint(condition=Q(bonus_fen__gte=0), name="topup_plan_bonus_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class WalletEntry(models.Model):
    """One change of stored value, append-only, with principal and bonus parts apart."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("top-up")
        SPEND = "spend", _("spent")
        SPEND_REFUND = "spend_refund", _("refund back to the card")
        TOP_UP_REFUND = "top_up_refund", _("top-up refunded")
        ADJUST = "adjust", _("manual adjustment")

    class Verification(models.TextChoices):
        """How the member proved to be present when spending: without proof only small sums may go."""

        NONE = "", _("not verified")
        LIVE_CODE = "live_code", _("live member code")
        SMS_CODE = "sms_code", _("SMS code")

    account = models.ForeignKey(WalletAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    principal_fen = models.BigIntegerField(_("principal (fen)"))
    bonus_fen = models.BigIntegerField(_("bonus (fen)"))
    principal_after_fen = models.BigIntegerField(_("principal after (fen)"))
    bonus_after_fen = models.BigIntegerField(_("bonus after (fen)"))
    plan = models.ForeignKey(TopUpPlan, null=True, blank=True, on_delete=models.PROTECT)
    payment_method = models.CharField(_("paid by"), max_length=20, blank=True)
    source_type = models.CharField(_("source type"), max_length=32, blank=True)
    source_id = models.CharField(_("source"), max_length=64, blank=True)
    related_id = models.CharField(_("related document"), max_length=64, blank=True)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.PROTECT)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    verified_by = models.CharField(
        _("member verified by"), max_length=16, choices=Verification.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored value entry")
        verbose_name_plural = _("stored value entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["source_type", "source_id"], name="wallet_source_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(principal_fen=0, bonus_fen=0), name="wallet_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(principal_after_fen__gte=0, bonus_after_fen__gte=0),
                name="wallet_entry_after_not_negative",
            ),
            # A retried top-up never credits twice: the top-up's document id is unique per card.
            models.UniqueConstraint(
                fields=["account", "source_type", "source_id"],
                condition=Q(kind="top_up"),
                name="wallet_top_up_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.principal_fen:+d}/{self.bonus_fen:+d}"

    @property
    def amount_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


class SpendRecord(models.Model):
    """What a member paid (positive) or got back (negative) per order, for tier rules by rolling spend."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="spend_records")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    source_type = models.CharField(max_length=32)
    source_id = models.CharField(max_length=64)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("member spend")
        verbose_name_plural = _("member spend")
        indexes = [models.Index(fields=["member", "created_at"], name="spend_member_time_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.amount_fen}"


class PointsCategoryRule(models.Model):
    """Points on a category: a multiplier in basis points (0 excludes the category, 20000 doubles)."""

    category = models.OneToOneField("catalog.Category", verbose_name=_("category"), on_delete=models.CASCADE)
    multiplier_bp = models.PositiveIntegerField(_("multiplier (basis points)"), default=10000)

    class Meta:
        verbose_name = _("points rule of a category")
        verbose_name_plural = _("points rules of categories")

    def __str__(self) -> str:
        return f"{self.category_id}×{self.multiplier_bp}"


class CountCardPlan(models.Model):
    """A package of N uses of service items (次卡), valid for some days, in some stores (none = all)."""

    name = models.CharField(_("name"), max_length=100)
    uses_qty = models.PositiveIntegerField(_("uses"))
    price_fen = models.BigIntegerField(_("price (fen)"))
    validity_days = models.PositiveIntegerField(_("valid for (days)"), default=365)
    skus = models.ManyToManyField("catalog.SKU", verbose_name=_("service items"), related_name="+")
    stores = models.ManyToManyField(
        "stores.Store", verbose_name=_("valid in stores"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("count card plan")
        verbose_name_plural = _("count card plans")
        constraints = [
            models.CheckConstraint(condition=Q(uses_qty__gt=0), name="count_plan_uses_positive"),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="count_plan_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class CountCard(models.Model):
    """A member's count card: uses left never below zero; unused uses refund pro rata."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        REFUNDED = "refunded", _("refunded")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="count_cards")
    plan = models.ForeignKey(CountCardPlan, on_delete=models.PROTECT)
    uses_total = models.PositiveIntegerField(_("uses bought"))
    uses_left = models.IntegerField(_("uses left"))
    price_fen = models.BigIntegerField(_("price paid (fen)"))
    expires_at = models.DateTimeField(_("expires"))
    store = models.ForeignKey("stores.Store", verbose_name=_("sold at"), null=True, on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("bought"), auto_now_add=True)

    class Meta:
        verbose_name = _("count card")
        verbose_name_plural = _("count cards")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(uses_left__gte=0), name="count_card_uses_not_negative"),
            models.CheckConstraint(
                condition=Q(uses_left__lte=models.F("uses_total")), name="count_card_uses_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} ({self.uses_left}/{self.uses_total})"


class CountCardEntry(models.Model):
    """One change of a count card's uses (purchase, one use redeemed, refund)."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("bought")
        REDEEM = "redeem", _("used")
        REFUND = "refund", _("refunded")

    card = models.ForeignKey(CountCard, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    uses_qty = models.IntegerField(_("uses"))
    uses_after = models.IntegerField(_("uses left after"))
    value_fen = models.BigIntegerField(_("money (fen)"), default=0)
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.PROTECT)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("count card entry")
        verbose_name_plural = _("count card entries")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(uses_after__gte=0), name="count_entry_after_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.uses_qty:+d}"


class MembershipPlan(models.Model):
    """A paid membership card (付费会员卡) that grants a tier for its validity."""

    name = models.CharField(_("name"), max_length=100)
    tier = models.ForeignKey(Tier, verbose_name=_("grants tier"), on_delete=models.PROTECT)
    price_fen = models.BigIntegerField(_("price (fen)"))
    validity_days = models.PositiveIntegerField(_("valid for (days)"), default=365)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("paid membership plan")
        verbose_name_plural = _("paid membership plans")
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="membership_plan_price_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


class MembershipCard(models.Model):
    """A member's paid card: one current card per member; renewals extend it, upgrades change its plan."""

    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="membership_card")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT)
    starts_at = models.DateTimeField(_("valid from"))
    expires_at = models.DateTimeField(_("valid until"))
    paid_total_fen = models.BigIntegerField(_("paid in total (fen)"), default=0)

    class Meta:
        verbose_name = _("paid membership card")
        verbose_name_plural = _("paid membership cards")

    def __str__(self) -> str:
        return f"{self.plan} → {self.expires_at:%Y-%m-%d}"


class MembershipPayment(models.Model):
    """A receipt for buying, renewing or upgrading a paid card."""

    class Kind(models.TextChoices):
        BUY = "buy", _("bought")
        RENEW = "renew", _("renewed")
        UPGRADE = "upgrade", _("upgraded")
        REFUND = "refund", _("refunded")

    card = models.ForeignKey(MembershipCard, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT)
    amount_fen = models.BigIntegerField(_("paid (fen)"))
    payment_method = models.CharField(_("paid by"), max_length=20)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership payment")
        verbose_name_plural = _("membership payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="membership_payment_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class ReferralReward(models.Model):
    """The one referral reward a new phone can ever trigger: unique by the referred phone's blind index,
    so deleting and re-registering a member does not earn a second reward."""

    referred_phone_index = models.CharField(max_length=64, unique=True)
    referrer = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    referred = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    points_each = models.PositiveIntegerField()
    source_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")

    def __str__(self) -> str:
        return f"{self.referrer_id} ← {self.referred_id}"


class SmsCode(models.Model):
    """A one-time code sent by SMS: only its keyed hash is kept; it expires and allows few tries. A code
    that confirms a payment is bound to the member, the most it may pay and the till's order."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, default="login")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    amount_fen = models.BigIntegerField(_("authorised amount (fen)"), null=True, blank=True)
    client_order_id = models.CharField(_("client order id"), max_length=64, blank=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [models.Index(fields=["phone_index", "created_at"], name="sms_code_phone_time_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%H:%M:%S}"


class MemberNotice(models.Model):
    """A greeting or reminder queued for a member once per key (birthday-2026, renewal-…), so the daily
    job can run again safely."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member notice")
        verbose_name_plural = _("member notices")
        constraints = [models.UniqueConstraint(fields=["member", "key"], name="member_notice_once")]

    def __str__(self) -> str:
        return self.key


class MemberRfm(models.Model):
    """A member's RFM scores over the member base: recency, frequency and monetary value of the last
    `window_days` of purchases, each a quintile from 1 (lowest fifth) to 5 (highest fifth). Written only
    by the periodic job (`services.rfm_recompute`), never on request."""

    member = models.OneToOneField(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="rfm", primary_key=True
    )
    last_purchase_at = models.DateTimeField(_("last purchase"))
    order_count = models.PositiveIntegerField(_("purchases in the window"))
    spend_fen = models.BigIntegerField(_("spend in the window (fen)"))
    recency_score = models.PositiveSmallIntegerField(_("recency (R)"))
    frequency_score = models.PositiveSmallIntegerField(_("frequency (F)"))
    monetary_score = models.PositiveSmallIntegerField(_("monetary (M)"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("RFM score")
        verbose_name_plural = _("RFM scores")
        constraints = [
            models.CheckConstraint(
                condition=Q(recency_score__gte=1, recency_score__lte=5)
                & Q(frequency_score__gte=1, frequency_score__lte=5)
                & Q(monetary_score__gte=1, monetary_score__lte=5),
                name="member_rfm_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"R{self.recency_score}F{self.frequency_score}M{self.monetary_score}"
