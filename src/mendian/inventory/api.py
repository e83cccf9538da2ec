"""API of the inventory app (mounted at /api/v1/inventory/)."""

from ninja import Router

router = Router(tags=["inventory"])
