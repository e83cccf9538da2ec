from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from mendian.notifications.models import ConsoleSms


@admin.register(ConsoleSms)
class ConsoleSmsAdmin(ModelAdmin):
    list_display = ["created_at", "recipient_masked", "purpose", "text"]
    list_filter = ["purpose"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
