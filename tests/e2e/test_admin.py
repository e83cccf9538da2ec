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
