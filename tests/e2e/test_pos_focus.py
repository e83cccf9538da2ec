"""The till moves the focus to a screen's first field a moment after the screen or dialog appears; a
cashier (or a scanner) who has gone into another field in that moment keeps the focus and what they type."""

from __future__ import annotations

from typing import Any

import pytest

from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Schedule the till's default focus (as closing a dialog does), then go into the member field at once.
SCHEDULE_THEN_CLICK_MEMBER = """() => {
  const app = Alpine.$data(document.querySelector("[x-data]"));
  app.focusDefault();
  document.querySelector("[data-testid=member-input]").focus();
}"""


def test_the_default_focus_does_not_take_the_field_the_cashier_went_into(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    till_sign_in(page, live_server.url, chain.register_a_token, cashier_a.employee_no, "2468")
    search = page.locator("#pos-search")
    member = page.get_by_test_id("member-input")

    # When the till schedules its default focus and the cashier goes into the member field meanwhile
    page.evaluate(SCHEDULE_THEN_CLICK_MEMBER)
    page.keyboard.type("13955558888")
    page.wait_for_timeout(200)  # well past the till's focus delay

    # Then the focus and the typed phone number stay in the member field
    expect(member).to_be_focused()
    expect(member).to_have_value("13955558888")
    expect(search).to_have_value("")

    # And when nobody moves in that moment, the scheduled focus lands on the scan field as before
    page.evaluate('() => Alpine.$data(document.querySelector("[x-data]")).focusDefault()')
    expect(search).to_be_focused()
