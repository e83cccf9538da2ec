"""API of the members app (mounted at /api/v1/members/)."""

from ninja import Router

router = Router(tags=["members"])
