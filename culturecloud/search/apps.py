from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "culturecloud.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from .doctypes import register_doc_types
        from .signals import connect

        register_doc_types()
        connect()
