"""The built-in roles and the permissions each grants. A role is a Django group; where a staff member
may act is separate (their stores, or all stores for HQ). Later apps add their permissions here."""

from __future__ import annotations

import fnmatch
from typing import Any

from django.utils.translation import gettext_lazy as _

# key -> (group name shown in the back office, permission patterns "app_label.codename")
ROLES: dict[str, tuple[str, list[str]]] = {
    "hq_admin": (
        "总部管理员",
        ["stores.*", "catalog.*", "inventory.*", "sales.*", "members.*", "core.view_*", "auth.view_group"],
    ),
    "store_manager": (
        "店长",
        [
            "stores.view_store",
            "stores.view_register",
            "stores.add_register",
            "stores.change_register",
            "stores.view_staffprofile",
            "catalog.view_*",
            "catalog.*_storeprice",  # their own store's price overrides (store-scoped in API and admin)
            "inventory.*",
            "sales.*",
            "members.*",
            "core.view_auditentry",
        ],
    ),
    "cashier": (
        "收银员",
        [
            "stores.view_store",
            "stores.view_register",
            "catalog.view_*",
            "inventory.view_*",
            "sales.add_order",
            "sales.view_order",
            "sales.refund_order",
            "sales.add_shift",
            "sales.view_shift",
            "sales.change_shift",
            "sales.*_heldorder",
            "sales.add_cashdrawerentry",
            "sales.view_cashdrawerentry",
            "sales.add_exceptionlog",
            "sales.add_return",
            "sales.view_return",
            # Stored value, count cards and paid cards are sold at the till like goods (tenders, drawer,
            # shift); paying them back needs a manager (sales.refund_prepaidsale).
            "sales.add_prepaidsale",
            "sales.view_prepaidsale",
            "members.add_member",
            "members.view_member",
            # Count-card uses at the till; full phones, exports and adjustments are not for cashiers
            # (members.view_member_phone, members.export_member, members.adjust_balance).
            "members.view_walletentry",
            "members.view_pointsentry",
            "members.view_countcard",
            "members.add_countcardentry",
        ],
    ),
    "stock_clerk": (
        "库管员",
        ["stores.view_store", "catalog.*", "inventory.*"],
    ),
    "finance": (
        "财务",
        [
            "stores.view_store",
            "stores.view_register",
            "sales.view_*",
            "inventory.view_*",
            "core.view_auditentry",
        ],
    ),
    "marketing": (
        "市场营销",
        ["stores.view_store", "catalog.view_*", "members.*", "sales.view_order"],
    ),
}
ROLE_LABELS = {
    "hq_admin": _("HQ admin"),
    "store_manager": _("Store manager"),
    "cashier": _("Cashier"),
    "stock_clerk": _("Stock clerk"),
    "finance": _("Finance"),
    "marketing": _("Marketing"),
}


def role_group_name(role: str) -> str:
    return ROLES[role][0]


def roles_sync() -> None:
    """Create the role groups and give each exactly the permissions its patterns match."""
    from django.contrib.auth.models import Group, Permission

    permissions = list(Permission.objects.select_related("content_type"))
    for _role, (group_name, patterns) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        wanted = [
            permission
            for permission in permissions
            if any(
                fnmatch.fnmatchcase(f"{permission.content_type.app_label}.{permission.codename}", pattern)
                for pattern in patterns
            )
        ]
        group.permissions.set(wanted)


def roles_sync_after_migrate(**kwargs: Any) -> None:
    roles_sync()
