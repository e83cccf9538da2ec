from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from mendian.core.models import AuditEntry, OutboxMessage


@admin.register(AuditEntry)
class AuditEntryAdmin(ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["created_at", "action", "actor", "store_id", "register_id", "object_repr", "request_id"]
    list_filter = ["action", "created_at"]
    search_fields = ["action", "object_repr", "object_id", "request_id"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ModelAdmin):
    list_display = ["id", "topic", "status", "attempts", "available_at", "delivered_at"]
    list_filter = ["status", "topic"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
