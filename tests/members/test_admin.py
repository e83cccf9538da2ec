"""The back office lists members with masked phones and refuses to edit ledgers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from mendian.members import services
from mendian.members.models import Member
from mendian.stores.models import StaffProfile

pytestmark = pytest.mark.django_db


def test_member_pages_show_masked_phones_and_ledgers_are_read_only(
    hq_admin: StaffProfile, make_member: Callable[..., Member]
) -> None:
    member = make_member("13912345678", name="赵六")
    services.points_adjust(member=member, points=10, reason="x", actor_id=None)
    client = Client()
    client.force_login(hq_admin.user)
    listing = client.get("/admin/members/member/").content.decode()
    assert "139****5678" in listing and "13912345678" not in listing
    detail = client.get(f"/admin/members/member/{member.pk}/change/")
    assert detail.status_code == 200 and "13912345678" not in detail.content.decode()
    entries = client.get("/admin/members/pointsentry/")
    assert entries.status_code == 200
    entry_id = member.points_account.entries.get().pk
    response = client.post(f"/admin/members/pointsentry/{entry_id}/change/", {"points": 999})
    assert response.status_code == 403
    assert member.points_account.entries.get().points == 10
    for path in ["/admin/members/tier/", "/admin/members/loyaltyprogram/", "/admin/members/topupplan/"]:
        assert client.get(path).status_code == 200
