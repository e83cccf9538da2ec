"""Template filters of the member centre."""

from __future__ import annotations

from django import template

from mendian.core.money import yuan_display

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return yuan_display(int(fen or 0))


@register.filter
def lookup(mapping: dict[str, str], key: str) -> str:
    return str(mapping.get(key, key))
