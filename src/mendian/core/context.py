"""Who is acting, from which till, under which request id: set once per request, read by the audit log."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    actor_id: int | None = None
    store_id: int | None = None
    register_id: int | None = None
    ip_address: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "mendian_request",
    default=RequestContext(),  # noqa: B039 - frozen dataclass, immutable
)


def current() -> RequestContext:
    return _current.get()


def bind(**changes: Any) -> contextvars.Token[RequestContext]:
    """Replace fields of the current context; returns a token for reset()."""
    values = {**current().__dict__, **changes}
    return _current.set(RequestContext(**values))


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
