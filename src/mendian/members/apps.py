from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "mendian.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from mendian.core.services import outbox_register_handler
        from mendian.members import services

        outbox_register_handler(services.SMS_TOPIC, services.member_sms_deliver)
