"""Pinyin of product names and the search keys a till matches against (可口可乐 → kekoukele, kkkl)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pypinyin import lazy_pinyin

NON_CHINESE_MARK = "\x00"
KEY_MAX_LENGTH = 64
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACE = re.compile(r"\s+")


def _mark_non_chinese(chunk: str) -> Any:
    return [NON_CHINESE_MARK + chunk]  # pypinyin accepts a list here; its stubs say str


def _syllables(name: str) -> list[tuple[str, bool]]:
    """(token, is_chinese) pairs: one per Chinese character, one per run of other characters."""
    tokens = lazy_pinyin(name, errors=_mark_non_chinese)
    pairs: list[tuple[str, bool]] = []
    for token in tokens:
        if token.startswith(NON_CHINESE_MARK):
            for word in _NOT_ALNUM.split(token[1:].lower()):
                if word:
                    pairs.append((word, False))
        else:
            pairs.append((token.lower(), True))
    return pairs


def name_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name: 可口可乐 330ml → ("kekoukele330ml", "kkkl330ml")."""
    pairs = _syllables(name)
    full = "".join(token for token, _chinese in pairs)
    initials = "".join(token[0] if chinese else token for token, chinese in pairs)
    return full, initials


def search_term_normalize(term: str) -> str:
    """What a search matches on: lower case, no spaces."""
    return _SPACE.sub("", term or "").lower()[:KEY_MAX_LENGTH]


def search_keys_for(name: str, codes: Iterable[str] = ()) -> list[str]:
    """Every key that should find the name by prefix: suffixes of the name (each character), of its
    full pinyin and of its initials (each syllable). "kl", "kele" and "可乐" then all find 可口可乐.
    The product's and its SKUs' codes are keys too, so a typed code finds its item by prefix."""
    keys: set[str] = {search_term_normalize(code) for code in codes}
    plain = search_term_normalize(name)
    for start in range(len(plain)):
        keys.add(plain[start:])
    pairs = _syllables(name)
    for start in range(len(pairs)):
        rest = pairs[start:]
        keys.add("".join(token for token, _chinese in rest))
        keys.add("".join(token[0] if chinese else token for token, chinese in rest))
    return sorted(key[:KEY_MAX_LENGTH] for key in keys if key)
