"""The library follows its media: when a file finishes processing (ready or failed), the
resources that show it are refreshed (their page and their search entry)."""

from __future__ import annotations

from typing import Any

from culturecloud.media.signals import asset_failed, asset_ready


def on_asset_done(sender: Any, asset: Any, **kwargs: Any) -> None:
    from .services import media_changed

    media_changed(asset)


def connect() -> None:
    asset_ready.connect(on_asset_done, dispatch_uid="resources.asset_ready")
    asset_failed.connect(on_asset_done, dispatch_uid="resources.asset_failed")
