from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StoresConfig(AppConfig):
    name = "mendian.stores"
    label = "stores"
    verbose_name = _("Stores and staff")

    def ready(self) -> None:
        from mendian.stores import roles

        # Like Django's own create_permissions: keep the role groups in step with the code after migrate.
        post_migrate.connect(roles.roles_sync_after_migrate, sender=self)
