"""Hypothesis state machine over earn / redeem / expire / top-up / spend / refund: every balance equals the
sum of its ledger, nothing goes negative, principal and bonus stay apart."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from mendian.members import services
from mendian.members.errors import PointsInsufficient, PointsRedeemCapExceeded, WalletInsufficient
from mendian.members.models import PointsAccount, PointsEntry, WalletAccount, WalletEntry
from mendian.members.services import EarnLine

_phones = itertools.count(1)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.orders: list[str] = []
        self.spends: dict[str, int] = {}
        self.refunded: dict[str, int] = {}
        self.redeemed_orders: dict[str, int] = {}
        self.principal = 0
        self.bonus = 0
        self.counter = itertools.count(1)

    @initialize()
    def register(self) -> None:
        self.member = services.member_register(phone=f"1570{next(_phones):07d}")

    @rule(amount_fen=st.integers(1, 50_000))
    def earn(self, amount_fen: int) -> None:
        order_id = f"e{next(self.counter)}"
        services.points_earn_for_order(
            member=self.member, lines=[EarnLine(amount_fen)], order_id=order_id, store_id=None
        )
        self.orders.append(order_id)

    @rule(yuan=st.integers(1, 200))
    def redeem(self, yuan: int) -> None:
        balance = PointsAccount.objects.get(member=self.member).balance
        order_id = f"p{next(self.counter)}"
        try:
            services.points_redeem_for_order(
                member=self.member, amount_fen=yuan * 100, order_total_fen=1_000_000, order_id=order_id
            )
        except PointsInsufficient:
            assert balance < yuan * 100
            return
        except PointsRedeemCapExceeded:
            raise AssertionError("cap is 50 % of ¥10,000") from None
        assert balance >= yuan * 100
        self.redeemed_orders[order_id] = yuan * 100

    @precondition(lambda self: bool(self.redeemed_orders))
    @rule(data=st.data())
    def refund_redeemed(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.redeemed_orders)))
        value = self.redeemed_orders.pop(order_id)
        services.points_redeem_refund(member=self.member, order_id=order_id, return_id="r", amount_fen=value)

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data(), share=st.integers(1, 100))
    def reverse(self, data: st.DataObject, share: int) -> None:
        order_id = data.draw(st.sampled_from(self.orders))
        earn = PointsEntry.objects.filter(
            account__member=self.member, kind="earn", source_id=order_id
        ).first()
        value = earn.value_fen if earn else 0
        before = PointsAccount.objects.get(member=self.member).balance
        result = services.points_reverse_for_return(
            member=self.member,
            order_id=order_id,
            return_id=f"r{next(self.counter)}",
            refund_fen=max(value * share // 100, 1),
        )
        assert result.points_reversed <= before
        assert result.shortfall_points == 0 or result.points_reversed == before

    @rule()
    def expire_oldest(self) -> None:
        lot = (
            PointsEntry.objects.filter(account__member=self.member, remaining__gt=0)
            .order_by("expires_at", "id")
            .first()
        )
        if lot is None:
            return
        PointsEntry.objects.filter(pk=lot.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        expired = services.points_expire_due()
        assert expired >= lot.remaining

    @rule(amount_fen=st.integers(1, 100_000), bonus_fen=st.integers(0, 20_000))
    def top_up(self, amount_fen: int, bonus_fen: int) -> None:
        try:
            services.wallet_top_up(
                member=self.member, amount_fen=amount_fen, bonus_fen=bonus_fen, payment_method="cash"
            )
        except services.WalletLimitExceeded:
            assert self.principal + self.bonus + amount_fen + bonus_fen > 500_000
            return
        self.principal += amount_fen
        self.bonus += bonus_fen

    @rule(amount_fen=st.integers(1, 20_000))
    def spend(self, amount_fen: int) -> None:
        order_id = f"w{next(self.counter)}"
        try:
            services.wallet_debit(
                member=self.member,
                amount_fen=amount_fen,
                order_id=order_id,
                member_code=services.member_code_issue(member=self.member),
            )
        except WalletInsufficient:
            assert amount_fen > self.principal + self.bonus
            return
        principal = min(self.principal, amount_fen)  # principal first (the default)
        self.principal -= principal
        self.bonus -= amount_fen - principal
        self.spends[order_id] = amount_fen
        self.refunded[order_id] = 0

    @precondition(lambda self: any(self.spends[o] > self.refunded[o] for o in self.spends))
    @rule(data=st.data())
    def refund_spend(self, data: st.DataObject) -> None:
        open_orders = sorted(o for o in self.spends if self.spends[o] > self.refunded[o])
        order_id = data.draw(st.sampled_from(open_orders))
        left = self.spends[order_id] - self.refunded[order_id]
        amount = data.draw(st.integers(1, left))
        entry = services.wallet_refund_to_card(
            member=self.member, order_id=order_id, return_id=f"r{next(self.counter)}", amount_fen=amount
        )
        assert entry is not None and entry.principal_fen >= 0 and entry.bonus_fen >= 0
        self.refunded[order_id] += amount
        self.principal += entry.principal_fen
        self.bonus += entry.bonus_fen
        if self.refunded[order_id] == self.spends[order_id]:
            spent = WalletEntry.objects.filter(account__member=self.member, source_id=order_id).aggregate(
                p=Sum("principal_fen"), b=Sum("bonus_fen")
            )
            assert (spent["p"], spent["b"]) == (0, 0), (
                "a full refund returns exactly the principal and bonus spent"
            )

    @invariant()
    def points_balance_is_the_ledger_sum_and_the_lots(self) -> None:
        if not hasattr(self, "member"):
            return
        balance = PointsAccount.objects.get(member=self.member).balance
        entries = PointsEntry.objects.filter(account__member=self.member)
        assert balance >= 0
        assert balance == (entries.aggregate(s=Sum("points"))["s"] or 0)
        assert balance == (entries.filter(points__gt=0).aggregate(s=Sum("remaining"))["s"] or 0)

    @invariant()
    def wallet_balance_is_the_ledger_sum(self) -> None:
        if not hasattr(self, "member"):
            return
        account = WalletAccount.objects.get(member=self.member)
        sums = WalletEntry.objects.filter(account=account).aggregate(
            p=Sum("principal_fen"), b=Sum("bonus_fen")
        )
        assert account.principal_fen >= 0 and account.bonus_fen >= 0
        assert (account.principal_fen, account.bonus_fen) == (sums["p"] or 0, sums["b"] or 0)
        assert (account.principal_fen, account.bonus_fen) == (self.principal, self.bonus)


@pytest.mark.django_db
def test_ledgers_state_machine() -> None:
    LedgerMachine.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()
