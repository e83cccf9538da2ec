"""A cashier sells a ¥100 top-up with the 充100送20 plan for cash at the till: the drawer's expected cash
rises by ¥100, the receipt shows principal and bonus, and the Z report lists it apart from goods sales."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mendian.members import services as member_services
from mendian.members.models import TopUpPlan, WalletAccount
from mendian.sales.models import PrepaidSale, Shift
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13966667777"


def test_cashier_sells_a_top_up_for_cash_and_the_z_report_keeps_it_apart(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    # Given a member, the 充100送20 plan and an open shift with a ¥200 float
    member = member_services.member_register(phone=PHONE, name="赵敏")
    TopUpPlan.objects.create(name="充100送20", amount_fen=10_000, bonus_fen=2_000)
    TopUpPlan.objects.create(name="充500送150", amount_fen=50_000, bonus_fen=15_000)
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20_000)
    till_sign_in(page, base, chain.register_a_token, cashier_a.employee_no, "2468")

    # When the cashier attaches the member and opens 充值/售卡
    page.get_by_test_id("member-input").fill(PHONE)
    page.get_by_test_id("member-attach").click()
    expect(page.get_by_test_id("member-wallet")).to_have_text("¥0.00")
    page.get_by_test_id("prepaid-open").click()
    plan = page.get_by_test_id("prepaid-plan").filter(has_text="充100送20")
    expect(plan).to_be_visible()
    plan.click()
    expect(page.get_by_test_id("prepaid-due")).to_have_text("¥100.00")
    # and takes a ¥100 note
    page.get_by_test_id("prepaid-cash-received").fill("100")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-prepaid-top-up.png"))
    page.get_by_test_id("prepaid-submit").click()

    # Then the sale is done: ¥100 paid, ¥20 bonus, ¥120 on the card
    expect(page.get_by_test_id("prepaid-done")).to_be_visible()
    expect(page.get_by_test_id("prepaid-bonus")).to_have_text("20.00")
    expect(page.get_by_test_id("prepaid-balance")).to_have_text("120.00")
    sale = PrepaidSale.objects.get()
    expect(page.get_by_test_id("prepaid-number")).to_have_text(sale.number)
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-prepaid-done.png"))
    account = WalletAccount.objects.get(member=member)
    assert (account.principal_fen, account.bonus_fen) == (10_000, 2_000)
    expect(page.get_by_test_id("member-wallet")).to_have_text("¥120.00")

    # And the e-receipt shows principal and bonus apart
    receipt = page.context.new_page()
    receipt.goto(f"{base}{sale.receipt_url}")
    info = receipt.get_by_test_id("receipt-info")
    expect(info).to_contain_text("100.00")
    expect(info).to_contain_text("20.00")
    expect(info).to_contain_text("120.00")
    expect(receipt.get_by_test_id("receipt-total")).to_have_text("100.00")
    receipt.screenshot(path=os.path.join(SCREENSHOT_DIR, "receipt-prepaid.png"), full_page=True)
    receipt.close()

    # When the cashier closes the shift counting ¥300 (float + top-up)
    page.get_by_test_id("prepaid-done").get_by_role("button").last.click()
    page.keyboard.press("F10")
    report = page.get_by_test_id("report-prepaid")
    expect(report).to_be_visible()
    expect(report).to_contain_text("100.00")
    page.locator("input[name=count_10000]").fill("3")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交班结账（Z 报表）").click()

    # Then the Z report shows no goods sales, the top-up in its own block, and no variance
    z = page.get_by_test_id("z-report")
    expect(z).to_be_visible()
    expect(page.get_by_test_id("z-sales")).to_have_text("0.00")
    expect(z.get_by_test_id("report-prepaid")).to_contain_text("100.00")
    expect(page.get_by_test_id("z-expected")).to_have_text("300.00")
    expect(page.get_by_test_id("z-variance")).to_have_text("0.00")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-z-report-prepaid.png"))
    shift = Shift.objects.get(register=chain.register_a)
    assert (shift.sales_fen, shift.prepaid_in_fen, shift.cash_balance_fen) == (0, 10_000, 30_000)


def test_a_manager_pays_back_stored_value_in_cash_from_the_till(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile, manager_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    from mendian.sales.models import PrepaidSale as Sale
    from mendian.sales.services import PrepaidItem, TenderInput, prepaid_sell

    base = live_server.url
    # Given a member who topped up ¥100 (+¥20 bonus) in cash at this till
    member = member_services.member_register(phone=PHONE, name="赵敏")
    plan = TopUpPlan.objects.create(name="充100送20", amount_fen=10_000, bonus_fen=2_000)
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20_000)
    prepaid_sell(
        user=cashier_a.user,
        register=chain.register_a,
        client_id="8d3c9d4e-64a4-4a52-9a51-3f3b1b3a0001",
        member=member,
        item=PrepaidItem(kind="top_up", plan_id=plan.pk),
        tenders=[TenderInput(kind="cash", amount_fen=10_000)],
    )
    till_sign_in(page, base, chain.register_a_token, cashier_a.employee_no, "2468")
    page.get_by_test_id("member-input").fill(PHONE)
    page.get_by_test_id("member-attach").click()
    expect(page.get_by_test_id("member-wallet")).to_have_text("¥120.00")

    # When the cashier opens 退款, keeps "close the stored value", pays back in cash and the manager
    # types their employee number and PIN
    page.get_by_test_id("prepaid-open").click()
    page.get_by_test_id("prepaid-tab-refund").click()
    form = page.get_by_test_id("prepaid-refund-form")
    expect(form).to_contain_text("¥100.00")
    page.get_by_test_id("prepaid-reason").fill("会员搬家退卡")
    form.get_by_label("店长工号").fill(manager_a.employee_no)
    form.get_by_label("店长密码").fill("1357")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-prepaid-refund.png"))
    page.get_by_test_id("prepaid-refund-submit").click()

    # Then ¥100 principal is paid back (the ¥20 bonus is forfeited) and the drawer expects ¥100 less
    expect(page.get_by_test_id("prepaid-done")).to_be_visible()
    expect(page.get_by_test_id("prepaid-amount-done")).to_have_text("¥100.00")
    expect(page.get_by_test_id("member-wallet")).to_have_text("¥0.00")
    refund = Sale.objects.get(kind="top_up_refund")
    assert (refund.amount_fen, refund.bonus_fen, refund.authorizer_id) == (10_000, 2_000, manager_a.user_id)
    shift = Shift.objects.get(register=chain.register_a)
    assert (shift.cash_balance_fen, shift.prepaid_in_fen, shift.prepaid_out_fen) == (20_000, 10_000, 10_000)
