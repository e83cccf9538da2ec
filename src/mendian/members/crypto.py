"""Personal data at rest: AES-GCM encryption, a keyed blind index for exact look-up, masking, signed codes.

Keys come from MENDIAN_MEMBER_KEY when set (so the member data key can live apart from the web
secret), else they are derived from SECRET_KEY with HKDF. Each purpose gets its own derived key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
_CIPHER_VERSION = b"\x01"


@functools.lru_cache(maxsize=8)
def _derived_key(purpose: str, root: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mendian-members", info=purpose.encode()).derive(
        root.encode()
    )


def _key(purpose: str) -> bytes:
    root = os.environ.get("MENDIAN_MEMBER_KEY") or settings.SECRET_KEY
    return _derived_key(purpose, root)


def phone_normalize(raw: str) -> str | None:
    """A mainland mobile number as 11 digits, or None. Accepts spaces, dashes and a +86/86 prefix."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if PHONE_PATTERN.match(digits) else None


def text_encrypt(plaintext: str, *, purpose: str = "member-pii") -> str:
    """AES-256-GCM with a random 96-bit nonce; stored as version‖nonce‖ciphertext in base64."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(purpose)).encrypt(nonce, plaintext.encode(), purpose.encode())
    return base64.b64encode(_CIPHER_VERSION + nonce + sealed).decode()


def text_decrypt(token: str, *, purpose: str = "member-pii") -> str:
    raw = base64.b64decode(token)
    if raw[:1] != _CIPHER_VERSION:
        raise ValueError("unknown cipher version")
    return AESGCM(_key(purpose)).decrypt(raw[1:13], raw[13:], purpose.encode()).decode()


def phone_blind_index(phone: str) -> str:
    """HMAC-SHA256 of the normalized phone: equal phones give equal indexes, the index reveals nothing."""
    return hmac.new(_key("phone-index"), phone.encode(), hashlib.sha256).hexdigest()


def phone_mask(phone: str) -> str:
    """138****1234."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def code_sign(message: str) -> str:
    """A short HMAC tag for codes shown to customers (member QR, referral links)."""
    return hmac.new(_key("member-code"), message.encode(), hashlib.sha256).hexdigest()[:20]


def code_verify(message: str, tag: str) -> bool:
    return hmac.compare_digest(code_sign(message), tag)


def secret_hash(value: str) -> str:
    """Keyed hash for short-lived secrets such as SMS codes (never stored in clear)."""
    return hmac.new(_key("sms-code"), value.encode(), hashlib.sha256).hexdigest()


def code_verify_secret(value: str, stored_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(value), stored_hash)
