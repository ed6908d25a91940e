from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "culturecloud.institutions"
    label = "institutions"
    verbose_name = _("Institutions")

    def ready(self) -> None:
        from culturecloud.core import pagecache

        from .models import Article, Institution, Region

        pagecache.watch(Region, Institution, Article)
