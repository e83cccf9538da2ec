"""How the API reads request data: ninja's JSON body and query/form parsing, plus one check on every string
that comes in that way (values and object keys, at any depth).

A NUL character is refused by PostgreSQL, and a lone UTF-16 surrogate ("\\ud800" is valid JSON but not
text) can be neither stored nor encoded as UTF-8 on the way out. Refused here, once, with 422, such input
never reaches a service, where it failed with a 500 (or, worse, was stored on SQLite only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.parser import Parser
from ninja.types import DictStrAny

from mendian.core.errors import DomainError

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class TextInvalid(DomainError):
    """A string in the request holds a NUL character or a lone surrogate."""

    status = 422
    code = "validation_error"
    default_message = gettext_lazy("Some fields are missing or invalid.")


def _printable_loc(part: str) -> str:
    # The location goes back in a UTF-8 JSON answer: a lone surrogate in it would fail there.
    return part.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _unstorable_locations(data: Any, loc: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(data, str):
        if _UNSTORABLE.search(data):
            yield loc
    elif isinstance(data, dict):
        for key, value in data.items():
            key_loc = (*loc, _printable_loc(str(key)))
            if isinstance(key, str) and _UNSTORABLE.search(key):
                yield key_loc
            else:
                yield from _unstorable_locations(value, key_loc)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _unstorable_locations(value, (*loc, str(index)))


def text_check(data: Any, loc: tuple[str, ...]) -> None:
    """Raise TextInvalid naming every place in data (parsed JSON or form values) that holds a NUL
    character or a lone surrogate."""
    fields = [
        {
            "loc": list(place),
            "type": "string_invalid_characters",
            "message": _("Text may not contain NUL characters or unpaired UTF-16 surrogates."),
        }
        for place in _unstorable_locations(data, loc)
    ]
    if fields:
        raise TextInvalid(details={"fields": fields})


class TextCheckingParser(Parser):
    """Ninja's parser with text_check on what it parses. From parse_body ninja wraps any exception in a
    400 HttpError; api_errors unwraps a DomainError found as its cause."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        text_check(data, ("body",))
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        result = super().parse_querydict(data, list_fields, request)
        if data is request.GET:
            text_check(result, ("query",))
        elif data is request.POST:
            text_check(result, ("form",))
        return result
