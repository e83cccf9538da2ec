"""The JSON API at /api/v1/: one NinjaAPI that mounts each app's router."""

from __future__ import annotations

from ninja import NinjaAPI

from mendian import __version__
from mendian.core.api_auth import api_auth
from mendian.core.api_errors import install_handlers
from mendian.core.api_parsing import TextCheckingParser

api = NinjaAPI(
    title="Mendian API",
    version="1",
    description="Store cashier, members, inventory and analysis. Amounts are integer fen.",
    auth=api_auth,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=TextCheckingParser(),
)
install_handlers(api)


def _mount() -> None:
    from mendian.catalog.api import router as catalog_router
    from mendian.inventory.api import router as inventory_router
    from mendian.members.api import router as members_router
    from mendian.sales.api import router as sales_router
    from mendian.stores.api import auth_router
    from mendian.stores.api import router as stores_router

    api.add_router("/auth", auth_router)
    api.add_router("/stores", stores_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/inventory", inventory_router)
    api.add_router("/sales", sales_router)
    api.add_router("/members", members_router)


_mount()
__all__ = ["__version__", "api"]
