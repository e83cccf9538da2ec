"""The SMS provider interface. Only the console backend exists now; real providers (Aliyun, Tencent
Cloud) implement the same `send` and are chosen with MENDIAN_SMS_BACKEND."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger("mendian.sms")

MARKETING_OPT_OUT = "拒收请回复R"


@dataclass(frozen=True)
class SmsMessage:
    """What to send: the phone in clear (only in memory), a key and a masked form for records."""

    phone: str
    recipient_key: str
    recipient_masked: str
    text: str
    purpose: str
    is_marketing: bool = False


class SmsProvider(Protocol):
    def send(self, message: SmsMessage) -> None: ...


class ConsoleSmsProvider:
    """Writes the message to the log and to the ConsoleSms table instead of sending it."""

    def send(self, message: SmsMessage) -> None:
        from mendian.notifications.models import ConsoleSms

        text = message.text
        if message.is_marketing and MARKETING_OPT_OUT not in text:
            text = f"{text} {MARKETING_OPT_OUT}"
        ConsoleSms.objects.create(
            recipient_key=message.recipient_key,
            recipient_masked=message.recipient_masked,
            purpose=message.purpose,
            text=text,
        )
        logger.info("SMS to %s (%s): %s", message.recipient_masked, message.purpose, text)


_PROVIDERS: dict[str, type] = {"console": ConsoleSmsProvider}


def sms_provider() -> SmsProvider:
    name = os.environ.get("MENDIAN_SMS_BACKEND", "console")
    provider_class = _PROVIDERS.get(name)
    if provider_class is None:
        raise LookupError(f"unknown SMS backend {name!r}")
    return provider_class()  # type: ignore[no-any-return]
