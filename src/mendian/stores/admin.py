from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from mendian.core.admin import AuditEntryAdmin
from mendian.core.models import AuditEntry
from mendian.stores import services
from mendian.stores.models import Register, StaffProfile, Store
from mendian.stores.selectors import scope_to_stores

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class RoleAdmin(BaseGroupAdmin, ModelAdmin):
    pass


class StoreScopedAdmin(ModelAdmin):
    """Staff of some stores see only those stores' rows in the back office too."""

    store_field = "store"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_stores(super().get_queryset(request), request.user, field=self.store_field)


@admin.register(Store)
class StoreAdmin(StoreScopedAdmin):
    store_field = "pk"
    list_display = ["code", "name", "phone", "opening_hours", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "address", "phone"]


@admin.register(Register)
class RegisterAdmin(StoreScopedAdmin):
    list_display = ["store", "code", "name", "is_training", "is_active", "token_revoked_at"]
    list_filter = ["store", "is_training", "is_active"]
    search_fields = ["code", "name", "store__name"]
    readonly_fields = ["device_token_hash", "token_revoked_at", "created_at"]
    actions = ["rotate_token", "revoke_token"]

    @admin.action(description=_("Issue a new device token"))
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[Register]) -> None:
        for register in queryset:
            raw = services.register_token_rotate(register=register)
            self.message_user(
                request,
                _("New device token for %(register)s: %(token)s") % {"register": register, "token": raw},
                messages.WARNING,
            )

    @admin.action(description=_("Revoke the device token"))
    def revoke_token(self, request: HttpRequest, queryset: QuerySet[Register]) -> None:
        for register in queryset:
            services.register_token_revoke(register=register)
        self.message_user(request, _("Device tokens revoked."), messages.SUCCESS)


@admin.register(StaffProfile)
class StaffProfileAdmin(StoreScopedAdmin):
    store_field = "stores"
    list_display = ["employee_no", "display_name", "user", "role_names", "all_stores", "is_active"]
    list_filter = ["all_stores", "is_active", "stores", "user__groups"]
    search_fields = ["employee_no", "display_name", "user__username"]
    filter_horizontal = ["stores"]
    exclude = ["pin_hash"]

    @admin.display(description=_("roles"))
    def role_names(self, obj: StaffProfile) -> str:
        return "、".join(group.name for group in obj.user.groups.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super().get_queryset(request).select_related("user").prefetch_related("user__groups").distinct()
        )


# The audit log keeps store and register as plain ids (docs/adr/0003-audit-plain-ids.md), so `core` cannot
# show their names; this app, which owns them, re-registers the audit admin with the names looked up by id.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryPlacesAdmin(AuditEntryAdmin):
    list_display = [
        "created_at",
        "action",
        "actor",
        "store_label",
        "register_label",
        "object_repr",
        "request_id",
    ]
    readonly_fields = [*AuditEntryAdmin.readonly_fields, "store_label", "register_label"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        stores = Store.objects.filter(pk=OuterRef("store_id"))
        registers = Register.objects.filter(pk=OuterRef("register_id"))
        # Staff of some stores see those stores' rows only (not other stores', nor rows of no store).
        entries = scope_to_stores(super().get_queryset(request), request.user, field="store_id")
        return entries.select_related("actor").annotate(
            store_name=Subquery(stores.values("name")[:1]),
            register_name=Subquery(
                registers.annotate(label=Concat("code", Value(" "), "name")).values("label")[:1]
            ),
        )

    @admin.display(description=_("store"), ordering="store_id")
    def store_label(self, entry: AuditEntry) -> str | None:
        return _place_label(entry.store_id, getattr(entry, "store_name", None))

    @admin.display(description=_("register"), ordering="register_id")
    def register_label(self, entry: AuditEntry) -> str | None:
        return _place_label(entry.register_id, getattr(entry, "register_name", None))


def _place_label(place_id: int | None, name: str | None) -> str | None:
    """The name, or `#id` for a store/register deleted since (the row outlives it), or empty."""
    if place_id is None:
        return None
    return name or f"#{place_id}"
