from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "culturecloud.resources"
    label = "resources"
    verbose_name = _("Digital resources")

    def ready(self) -> None:
        from culturecloud.core import pagecache

        from .models import (
            Collection,
            CollectionItem,
            Comment,
            HeritageProject,
            Inheritor,
            Resource,
            ResourceImage,
            Tag,
        )
        from .searchdoc import register_doc_type
        from .signals import connect

        register_doc_type()
        connect()
        pagecache.watch(
            Tag,
            HeritageProject,
            Inheritor,
            Resource,
            ResourceImage,
            Collection,
            CollectionItem,
            Comment,
        )
