from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "mendian.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from mendian.core.services import outbox_register_handler
        from mendian.inventory.services import ALERT_TOPIC, alert_deliver

        outbox_register_handler(ALERT_TOPIC, alert_deliver)
