"""The members app's port for sales: the ledger writes a checkout, a return or a void makes in its
transaction, and the one order in which they lock a member's accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mendian.members.errors import MemberNotFound, MemberVerificationRequired
from mendian.members.models import Member, PointsAccount, WalletAccount, WalletEntry
from mendian.members.services.points_orders import (
    EarnLine,
    points_earn_for_order,
    points_redeem_for_order,
    points_redeem_refund,
    points_redeem_reverse,
    points_reverse_for_return,
)
from mendian.members.services.presence import member_presence_proof
from mendian.members.services.wallet import (
    wallet_refund_to_card,
    wallet_spend_for_order,
    wallet_spend_reverse,
)


@dataclass(frozen=True)
class MemberAccounts:
    """A member's points and wallet accounts, locked until the end of the transaction."""

    points: PointsAccount
    wallet: WalletAccount


def member_accounts_lock(*member_ids: int) -> dict[int, MemberAccounts]:
    """Lock the accounts of one or more members in the one fixed order: every points account (by member
    id), then every wallet account (by member id). Every operation that touches both ledgers of a member
    (checkout, return, void, exchange) takes them here first, so two tills working on one member (a
    stored-value sale and a return of an earlier one) wait for each other instead of deadlocking.
    A member without accounts (deleted) is left out of the answer. Two statements, whatever the count."""
    ids = sorted(set(member_ids))
    points = {
        account.member_id: account
        for account in PointsAccount.objects.select_for_update()
        .filter(member_id__in=ids)
        .order_by("member_id")
    }
    wallets = {
        account.member_id: account
        for account in WalletAccount.objects.select_for_update()
        .filter(member_id__in=ids)
        .order_by("member_id")
    }
    return {
        member_id: MemberAccounts(points=points[member_id], wallet=wallets[member_id])
        for member_id in ids
        if member_id in points and member_id in wallets
    }


def checkout_member_books(
    *,
    member_id: int,
    order_id: int,
    order_total_fen: int,
    store_id: int,
    member_tenders: Sequence[tuple[str, int, str]],
    earn_lines: Sequence[EarnLine] | None,
    actor_id: int | None,
    member_code: str = "",
    client_order_id: str = "",
) -> None:
    """Take the points and stored-value tenders of an order (kind, amount, reference) from the member's
    ledgers, and credit the points a completed order earns (`earn_lines`; None while payment is pending).

    One proof that the member is present covers the whole order: `member_code` (the live code scanned at
    the till, or a code texted to the member for the till's order `client_order_id` and at least the sum
    of these tenders), or else a code in a tender's reference (how tills sent it before). Points are never
    spent without it; stored value only up to the program's threshold (see `wallet_spend_for_order`).
    A sale that touches both ledgers locks them first, in the order of member_accounts_lock; one that
    touches one locks only it. Runs inside the checkout's transaction, so a refusal undoes the whole sale."""
    member = Member.objects.select_related("tier").filter(pk=member_id, is_active=True).first()
    if member is None:
        raise MemberNotFound()
    points_fen = [amount_fen for kind, amount_fen, _reference in member_tenders if kind == "points"]
    wallet_fen = [amount_fen for kind, amount_fen, _reference in member_tenders if kind == "stored_value"]
    points_account: PointsAccount | None = None
    wallet_account: WalletAccount | None = None
    if wallet_fen and (points_fen or earn_lines is not None):
        accounts = member_accounts_lock(member_id).get(member_id)
        if accounts is None:
            raise MemberNotFound()
        points_account, wallet_account = accounts.points, accounts.wallet
    verified_by: str = WalletEntry.Verification.NONE
    if points_fen or wallet_fen:
        proof = member_code or next(
            (reference for _kind, _amount, reference in member_tenders if reference), ""
        )
        verified_by = member_presence_proof(
            member=member,
            code=proof,
            amount_fen=sum(points_fen) + sum(wallet_fen),
            client_order_id=client_order_id,
        )
        if points_fen and not verified_by:
            raise MemberVerificationRequired()
    for amount_fen in points_fen:
        points_redeem_for_order(
            member=member,
            amount_fen=amount_fen,
            order_total_fen=order_total_fen,
            order_id=order_id,
            store_id=store_id,
            actor_id=actor_id,
            account=points_account,
        )
    if wallet_fen:
        wallet_spend_for_order(
            member=member,
            amounts_fen=wallet_fen,
            order_id=order_id,
            verified_by=verified_by,
            store_id=store_id,
            actor_id=actor_id,
            account=wallet_account,
        )
    if earn_lines is not None:
        points_earn_for_order(
            member=member,
            lines=earn_lines,
            order_id=order_id,
            store_id=store_id,
            excluded_fen=sum(points_fen),
            actor_id=actor_id,
            account=points_account,
        )


def return_member_points(
    *, member_id: int, order_id: int, return_id: int, refund_fen: int, store_id: int, actor_id: int | None
) -> int:
    """Reverse the points earned by the returned share of an order; returns the money value of points the
    member had already spent (to deduct from the refund). Locks the member's accounts first (the return
    goes on to refund its tenders to them)."""
    accounts = member_accounts_lock(member_id).get(member_id)
    member = Member.objects.filter(pk=member_id).first()
    if member is None or accounts is None:
        return 0
    reversal = points_reverse_for_return(
        member=member,
        order_id=order_id,
        return_id=return_id,
        refund_fen=refund_fen,
        store_id=store_id,
        actor_id=actor_id,
        account=accounts.points,
    )
    return reversal.shortfall_fen


def return_member_tenders(
    *,
    member_id: int,
    order_id: int,
    return_id: int,
    refunds: Sequence[tuple[str, int]],
    store_id: int,
    actor_id: int | None,
) -> None:
    """Refund the points and stored-value shares of a return back to the member's ledgers."""
    if not any(amount_fen > 0 for _kind, amount_fen in refunds):
        return
    accounts = member_accounts_lock(member_id).get(member_id)
    member = Member.objects.filter(pk=member_id).first()
    if member is None or accounts is None:
        raise MemberNotFound()
    for kind, amount_fen in refunds:
        if amount_fen <= 0:
            continue
        if kind == "points":
            points_redeem_refund(
                member=member,
                order_id=order_id,
                return_id=return_id,
                amount_fen=amount_fen,
                store_id=store_id,
                actor_id=actor_id,
                account=accounts.points,
            )
        elif kind == "stored_value":
            wallet_refund_to_card(
                member=member,
                order_id=order_id,
                return_id=return_id,
                amount_fen=amount_fen,
                store_id=store_id,
                actor_id=actor_id,
                account=accounts.wallet,
            )


def order_member_books_reverse(
    *, member_id: int, order_id: int, store_id: int, reason: str, actor_id: int | None
) -> None:
    """Undo what the checkout of an order took from the member (an order voided before it was paid): the
    stored value it spent goes back to the card, principal and bonus as spent, and the points that paid
    it come back. Runs inside the void's transaction; once per order, since only what has not come back
    yet is given back. A member deleted since has no ledgers left to give back to."""
    accounts = member_accounts_lock(member_id).get(member_id)
    member = Member.objects.filter(pk=member_id).first()
    if member is None or accounts is None:
        return
    points_redeem_reverse(
        member=member,
        order_id=order_id,
        reason=reason,
        store_id=store_id,
        actor_id=actor_id,
        account=accounts.points,
    )
    wallet_spend_reverse(
        member=member,
        order_id=order_id,
        reason=reason,
        store_id=store_id,
        actor_id=actor_id,
        account=accounts.wallet,
    )
