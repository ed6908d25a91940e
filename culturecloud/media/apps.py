import mimetypes

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "culturecloud.media"
    label = "media"
    verbose_name = _("Media")

    def ready(self) -> None:
        # HLS segments: Python maps ".ts" to Qt Linguist files; storages (S3's Content-Type)
        # and the development file server take the type from this table.
        mimetypes.add_type("video/mp2t", ".ts")
        mimetypes.add_type("application/vnd.apple.mpegurl", ".m3u8")

        from culturecloud.core import pagecache

        from .models import MediaAsset

        pagecache.watch(MediaAsset)  # players and thumbnails follow processing
