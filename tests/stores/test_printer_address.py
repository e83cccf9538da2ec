"""A register's receipt printer address is checked when it is saved in the back office, not first when
a receipt prints: a typo gets the same translated message the till would have shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from mendian.stores.models import Register


@pytest.mark.parametrize(
    "address",
    [
        "",
        "tcp://192.168.1.50:9100",
        "usb://04b8:0202?out_ep=0x03&in_ep=0x81",
        "serial:///dev/ttyUSB0?baudrate=19200",
    ],
)
def test_good_addresses_and_none_save(chain, address: str) -> None:
    register = chain.register_a
    register.printer_url = address
    register.full_clean()
    register.save()
    assert Register.objects.get(pk=register.pk).printer_url == address


def test_a_wrong_address_is_refused_in_the_callers_language(chain) -> None:
    register = chain.register_a
    register.printer_url = "serial:///dev/ttyUSB0?baudrate=9601"
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        register.full_clean()
    assert "波特率 9601" in caught.value.message_dict["printer_url"][0]
    register.printer_url = "lpt1"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        register.full_clean()
    assert caught.value.message_dict["printer_url"] == [
        "Unknown printer address: use tcp://, usb://, serial:// or file://."
    ]


def test_the_back_office_shows_the_error_and_keeps_the_old_address(chain, hq_admin) -> None:
    register = chain.register_a
    register.printer_url = "tcp://192.168.1.50:9100"
    register.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(hq_admin.user)
    url = f"/admin/stores/register/{register.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["store"] = register.store_id
    data["printer_url"] = "usb://zz:0202"
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "USB 打印机地址" in response.content.decode()
    assert Register.objects.get(pk=register.pk).printer_url == "tcp://192.168.1.50:9100"
