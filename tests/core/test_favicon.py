"""Every page names the product's icon, and /favicon.ico leads to it (no 404 in the logs per page load)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_name_the_icon_and_favicon_ico_leads_to_it(admin_user: object) -> None:
    client = Client()
    icon = '<link rel="icon" type="image/svg+xml" href="/static/web/favicon.svg">'
    for page in ("/", "/pos/", "/m/login/"):
        assert icon in client.get(page).content.decode(), page

    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/web/favicon.svg"

    svg = client.get("/static/web/favicon.svg")
    assert svg.status_code == 200
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(svg.streaming_content)  # type: ignore[attr-defined]

    client.force_login(admin_user)  # type: ignore[arg-type]
    assert 'href="/static/web/favicon.svg"' in client.get("/admin/").content.decode()
