from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict


class StockInsufficient(Conflict):
    code = "stock_insufficient"
    default_message = _("Not enough stock.")
