"""The back office in a real browser: Chinese by default, stores, registers, staff and roles listed."""

import pytest

from tests.conftest import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_hq_admin_signs_in_and_sees_the_back_office_in_chinese(page, live_server, chain, make_staff):
    make_staff(["hq_admin"], all_stores=True, username="boss")
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    body = page.inner_text("body")
    for label in ("门店", "收银台", "员工", "审计日志"):
        assert label in body, label
    page.goto(f"{live_server.url}/admin/stores/store/")
    listing = page.inner_text("body")
    assert "A店" in listing and "B店" in listing
    page.goto(f"{live_server.url}/admin/auth/group/")
    roles = page.inner_text("body")
    for role in ("总部管理员", "店长", "收银员", "库管员", "财务", "市场营销"):
        assert role in roles, role


@pytest.mark.django_db(transaction=True)
def test_the_owner_finds_the_tills_top_ups_in_the_back_office(page, live_server, chain, make_staff):
    import os
    import uuid

    from mendian.members import services as member_services
    from mendian.members.models import TopUpPlan
    from mendian.sales.services import PrepaidItem, TenderInput, prepaid_sell, shift_open
    from tests.e2e.conftest import SCREENSHOT_DIR

    cashier = make_staff(["cashier"], [chain.store_a])
    make_staff(["hq_admin"], all_stores=True, username="boss")
    member = member_services.member_register(phone="13911112222", name="钱多多")
    plan = TopUpPlan.objects.create(name="充100送20", amount_fen=10_000, bonus_fen=2_000)
    shift_open(user=cashier.user, register=chain.register_a, float_fen=0)
    sale, _created = prepaid_sell(
        user=cashier.user,
        register=chain.register_a,
        client_id=str(uuid.uuid4()),
        member=member,
        item=PrepaidItem(kind="top_up", plan_id=plan.pk),
        tenders=[TenderInput(kind="cash", amount_fen=10_000)],
    )
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/sales/prepaidsale/")
    listing = page.inner_text("body")
    for text in (sale.number, "储值充值", "充100送20", "100.00", "20.00"):
        assert text in listing, text
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "admin-prepaid-sales.png"), full_page=True)
